//! Property testing of configuration parsing: proptest strategies for CNI
//! data, shared by the project's own property tests and the fuzz campaign.

pub mod strategy;
