//! Synchronous rtnetlink access: what links, addresses and routes a namespace holds, and changes to them.
