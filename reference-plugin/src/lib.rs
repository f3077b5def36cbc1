//! Reference CNI plugins: an interface plugin, an IPAM plugin and a chained plugin.
