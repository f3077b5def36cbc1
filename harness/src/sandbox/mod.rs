//! Throwaway namespaces for plugins to run in, and what the kernel shows of them.
