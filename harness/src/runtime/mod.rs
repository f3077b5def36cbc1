//! The mock runtime: invoking plugins, deriving their requests, running lists, the result cache, loading configurations.
