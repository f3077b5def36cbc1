//! What the suite asks of the kernel for a case: fingerprints of the fake
//! host and the containers, results checked against them, leaks told from
//! a plugin's steady state, and the tampering actions cases use before
//! CHECK.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::case::Action;
use super::driver::AttachmentState;
use super::verdict::Finding;
use crate::netlink::{Handle, LinkRef, MacAddr, RouteSpec, Veth};
use crate::sandbox::Sandbox;
use crate::sandbox::observe::{
    AddContext, Fingerprint, Leftover, classify, left_behind, verify_add,
};
use crate::spec::rule::Level;
use crate::spec::{CniResult, Version};

/// Fingerprints of the fake host and of every container, at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub host: Fingerprint,
    pub containers: BTreeMap<String, Fingerprint>,
}

/// Things a plugin leaves after ADD/DEL on purpose (a bridge, a "last
/// reserved address" file), learnt once per run by two ADD/DEL cycles, by
/// how the observer names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Steady(pub BTreeSet<String>);

impl Steady {
    pub fn contains(&self, leftover: &Leftover) -> bool {
        self.0.contains(&leftover.0.subject)
    }
}

/// Reads the fake host and the named containers (those whose namespace
/// still exists).
pub fn snapshot(sandbox: &Sandbox, containers: &[String]) -> Result<Snapshot, String> {
    let host = sandbox
        .fingerprint_host()
        .map_err(|e| format!("reading the fake host: {e}"))?;
    let mut out = BTreeMap::new();
    for name in containers {
        if sandbox.container(name).is_none() {
            continue;
        }
        let fp = sandbox
            .fingerprint_container(name)
            .map_err(|e| format!("reading container {name}: {e}"))?;
        out.insert(name.clone(), fp);
    }
    Ok(Snapshot {
        host,
        containers: out,
    })
}

/// What differs between `before` and `after`, steady state left out.
/// Addresses and routes on a link the plugin keeps on purpose (a bridge
/// and its gateway address) belong to that steady state too: with another
/// IPAM answer the gateway is another address, on the same bridge.
pub fn leftovers(before: &Snapshot, after: &Snapshot, steady: &Steady) -> Vec<Leftover> {
    let steady_links: Vec<&str> = steady
        .0
        .iter()
        .filter_map(|s| s.strip_prefix("link "))
        .map(|rest| rest.split(' ').next().unwrap_or(rest))
        .collect();
    let on_steady_link = |l: &Leftover| {
        let subject = &l.0.subject;
        steady_links.iter().any(|name| {
            (subject.starts_with("address ") && subject.ends_with(&format!(" on {name}")))
                || (subject.starts_with("route ") && subject.contains(&format!(" dev {name} ")))
        })
    };
    let mut out: Vec<Leftover> = left_behind("host", &before.host, &after.host)
        .into_iter()
        .filter(|l| !steady.contains(l) && !on_steady_link(l))
        .collect();
    for (name, fp) in &after.containers {
        if let Some(b) = before.containers.get(name) {
            out.extend(left_behind(&format!("container {name}"), b, fp));
        }
    }
    out
}

/// What is left against `before`, given time to settle: the kernel frees
/// a deleted namespace, and the veth ends paired with it, a little later
/// (`settling`), so nothing is called a leak before that.
pub fn settled_leftovers(
    sandbox: &Sandbox,
    before: &Snapshot,
    containers: &[String],
    steady: &Steady,
    settling: bool,
) -> Result<Vec<Leftover>, String> {
    let mut tries = if settling { 30 } else { 1 };
    loop {
        let now = snapshot(sandbox, containers)?;
        let left = leftovers(before, &now, steady);
        tries -= 1;
        // Only links go away by themselves; other leftovers are final.
        if tries == 0 || !left.iter().any(|l| l.0.subject.starts_with("link ")) {
            return Ok(left);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Two ADD/DEL cycles' residue in the fake host: steady things, or growth.
pub fn cycles(before: &Snapshot, first: &Snapshot, second: &Snapshot) -> (Steady, Vec<String>) {
    let residue = classify("host", &before.host, &first.host, &second.host);
    let steady = Steady(residue.steady.iter().map(|l| l.0.subject.clone()).collect());
    let growing = residue.growing.iter().map(ToString::to_string).collect();
    (steady, growing)
}

/// Checks an ADD result against the kernel (P-ADD-5..7, F-RES-7).
pub fn verify(
    sandbox: &Sandbox,
    att: &AttachmentState,
    result: &Value,
    version: Version,
    creates_interface: bool,
) -> Result<Vec<Finding>, String> {
    // A result the model cannot read is the plugin's fault, reported as
    // such (add/result says exactly what is wrong with it); there is then
    // nothing to compare with the kernel.
    let v1 = match CniResult::from_value(result, Some(version))
        .map_err(|e| e.to_string())
        .and_then(|r| r.to_v1().map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(why) => {
            return Ok(vec![Finding::new(
                "F-RES-1",
                Level::Must.at(version),
                format!(
                    "the result cannot be read as a {version} result, so it cannot be compared with the kernel: {why}"
                ),
            )]);
        }
    };
    let container = sandbox
        .container(&att.container)
        .ok_or_else(|| format!("container {} is gone", att.container))?;
    let host = Handle::in_netns(sandbox.host_netns_fd()).map_err(|e| e.to_string())?;
    let inside = Handle::in_netns(container.fd()).map_err(|e| e.to_string())?;
    let netns = att
        .netns
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let context = AddContext {
        netns: &netns,
        ifname: &att.ifname,
        // Below 0.3.0 a result names no interfaces at all.
        creates_interface: creates_interface && version >= Version::V0_3_0,
    };
    let mismatches = verify_add(&v1, &context, &host, &inside).map_err(|e| e.to_string())?;
    Ok(mismatches
        .into_iter()
        .map(|m| Finding::new(m.rule, m.level.at(version), m.message))
        .collect())
}

/// Why an action could not be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActError {
    /// The case does not apply to this plugin (its result has no route to
    /// remove, say): a skip.
    NotApplicable(String),
    /// The harness failed.
    Harness(String),
}

impl From<String> for ActError {
    fn from(s: String) -> ActError {
        ActError::Harness(s)
    }
}

impl From<&str> for ActError {
    fn from(s: &str) -> ActError {
        ActError::Harness(s.to_owned())
    }
}

/// The loopback device every network namespace is born with.
pub const LOOPBACK: &str = "lo";

/// Why tampering with CNI_IFNAME says nothing when it is the loopback
/// device (a plugin such as upstream's loopback configures it).
pub const LOOPBACK_REASON: &str = "CNI_IFNAME is lo, the loopback device every namespace is born with: it cannot be \
pre-created or deleted, and its hardware address is all zeros and means nothing";

/// Performs a sandbox action for an attachment. Returns, for
/// `precreate-interface`, the link's index and MAC to compare later.
pub fn act(
    sandbox: &mut Sandbox,
    action: &Action,
    att: &mut AttachmentState,
    chained: bool,
) -> Result<Option<(u32, String)>, ActError> {
    // P-CHECK-4 concerns what the plugin made or set: a chained plugin owns
    // CNI_IFNAME's state only if it adjusted it (its result reports the
    // interface otherwise than prevResult did).
    if chained
        && matches!(action, Action::DeleteLink | Action::ChangeMac)
        && !adjusted_interface(att)
    {
        return Err(ActError::NotApplicable(format!(
            "the plugin did not adjust {} (its result reports it as prevResult did), so tampering with it says nothing of the plugin",
            att.ifname
        )));
    }
    if att.ifname == LOOPBACK
        && matches!(
            action,
            Action::PrecreateInterface
                | Action::DeleteLink
                | Action::ChangeMac
                | Action::LaterPluginChangesMac
        )
    {
        return Err(ActError::NotApplicable(LOOPBACK_REASON.to_owned()));
    }
    if *action == Action::DeleteNetns {
        sandbox
            .delete_container_netns(&att.container)
            .map_err(|e| format!("deleting the namespace of container {}: {e}", att.container))?;
        att.netns_deleted = true;
        return Ok(None);
    }
    if *action == Action::ForgetResult {
        att.cached = None;
        return Ok(None);
    }
    if *action == Action::RemoveState {
        let out = sandbox
            .command("find")
            .args([
                "/var/lib/cni",
                "-mindepth",
                "1",
                "-type",
                "f",
                "-print",
                "-delete",
            ])
            .output()
            .map_err(|e| format!("removing the state files: {e}"))?;
        if !out.status.success() {
            return Err(ActError::Harness(format!(
                "removing the state files: find {}",
                out.status
            )));
        }
        if out.stdout.is_empty() {
            return Err(ActError::NotApplicable(
                "the plugin keeps no state under /var/lib/cni, so there is no reservation to lose"
                    .to_owned(),
            ));
        }
        return Ok(None);
    }
    let container = sandbox
        .container(&att.container)
        .ok_or_else(|| format!("container {} has no namespace", att.container))?;
    let h = Handle::in_netns(container.fd()).map_err(|e| e.to_string())?;
    let ifname = att.ifname.clone();
    let ifname = ifname.as_str();
    let link = || -> Result<crate::netlink::Link, String> {
        h.link(LinkRef::Name(ifname))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{ifname} is not in container {}", att.container))
    };
    match action {
        Action::PrecreateInterface => {
            // A veth whose other end stays in the fake host: dummy links do
            // not exist on every kernel.
            let mut veth = Veth::new(ifname, short_name("pre", &att.container));
            veth.peer_netns = Some(sandbox.host_netns_fd());
            h.create_veth(&veth)
                .map_err(|e| format!("pre-creating {ifname}: {e}"))?;
            let l = link()?;
            Ok(Some((l.index, l.mac.unwrap_or_default())))
        }
        Action::DeleteLink => Ok(h
            .delete_link(LinkRef::Name(ifname))
            .map(|()| None)
            .map_err(|e| e.to_string())?),
        Action::FlushAddresses => {
            let l = link()?;
            Ok(h.flush_addresses(l.index)
                .map(|()| None)
                .map_err(|e| e.to_string())?)
        }
        Action::LinkDown => Ok(h
            .set_down(LinkRef::Name(ifname))
            .map(|()| None)
            .map_err(|e| e.to_string())?),
        Action::LaterPluginChangesMac => {
            let mac: MacAddr = "02:00:00:be:ef:01".parse().map_err(|e| format!("{e}"))?;
            h.set_mac(LinkRef::Name(ifname), mac)
                .map_err(|e| e.to_string())?;
            // The later plugin reports what it did: its result, cached as
            // the final one, carries the new MAC.
            if let Some(Value::Array(ifaces)) =
                att.cached.as_mut().and_then(|r| r.get_mut("interfaces"))
            {
                for i in ifaces
                    .iter_mut()
                    .filter(|i| i.get("name").and_then(Value::as_str) == Some(ifname))
                {
                    i["mac"] = Value::String("02:00:00:be:ef:01".to_owned());
                }
            }
            Ok(None)
        }
        Action::ChangeMac => {
            let mac: MacAddr = "02:00:00:c0:ff:ee".parse().map_err(|e| format!("{e}"))?;
            Ok(h.set_mac(LinkRef::Name(ifname), mac)
                .map(|()| None)
                .map_err(|e| e.to_string())?)
        }
        Action::RemoveRoute => {
            let result = att.cached.as_ref().ok_or_else(|| {
                ActError::NotApplicable("the ADD gave no result to take a route from".to_owned())
            })?;
            let v1 = CniResult::from_value(result, None)
                .map_err(|e| e.to_string())
                .and_then(|r| r.to_v1().map_err(|e| e.to_string()))
                .map_err(|e| {
                    ActError::NotApplicable(format!(
                        "the ADD result cannot be read ({e}); add/result reports it"
                    ))
                })?;
            let route = v1.routes.first().ok_or_else(|| {
                ActError::NotApplicable(
                    "the result lists no route, so none can be removed".to_owned(),
                )
            })?;
            let l = link()?;
            let mut spec = RouteSpec::new(route.dst);
            spec.oif = Some(l.index);
            spec.table = route.table.and_then(|t| u32::try_from(t).ok());
            Ok(h.delete_route(&spec)
                .map(|()| None)
                .map_err(|e| format!("removing route {}: {e}", route.dst))?)
        }
        Action::DeleteNetns | Action::ForgetResult | Action::RemoveState => Ok(None),
    }
}

/// The container's link `name`: its index and MAC, if it is there.
pub fn link_identity(
    sandbox: &Sandbox,
    container: &str,
    name: &str,
) -> Result<Option<(u32, String)>, String> {
    let c = sandbox
        .container(container)
        .ok_or_else(|| format!("container {container} has no namespace"))?;
    let h = Handle::in_netns(c.fd()).map_err(|e| e.to_string())?;
    Ok(h.link(LinkRef::Name(name))
        .map_err(|e| e.to_string())?
        .map(|l| (l.index, l.mac.unwrap_or_default())))
}

/// The container's link `name`: its MAC and MTU, if it is there.
pub fn link_facts(
    sandbox: &Sandbox,
    container: &str,
    name: &str,
) -> Result<Option<(String, u32)>, String> {
    let c = sandbox
        .container(container)
        .ok_or_else(|| format!("container {container} has no namespace"))?;
    let h = Handle::in_netns(c.fd()).map_err(|e| e.to_string())?;
    Ok(h.link(LinkRef::Name(name))
        .map_err(|e| e.to_string())?
        .map(|l| (l.mac.unwrap_or_default(), l.mtu)))
}

/// The leftovers as findings (P-DEL-4), graded at `version`.
pub fn leak_findings(leftovers: &[Leftover], version: Version) -> Vec<Finding> {
    leftovers
        .iter()
        .map(|l| Finding::new("P-DEL-4", Level::Should.at(version), l.to_string()))
        .collect()
}

/// A link name of at most 15 bytes: `prefix` and as much of `tag` as fits.
fn short_name(prefix: &str, tag: &str) -> String {
    let mut name = format!("{prefix}{tag}");
    name.truncate(15);
    name
}

/// Whether a chained plugin's ADD result reports CNI_IFNAME otherwise than
/// the prevResult it got (another MAC, another MTU): it adjusted it.
fn adjusted_interface(att: &AttachmentState) -> bool {
    let entry = |v: Option<&Value>| -> Option<Value> {
        v?.get("interfaces")?
            .as_array()?
            .iter()
            .find(|i| i.get("name").and_then(Value::as_str) == Some(att.ifname.as_str()))
            .cloned()
    };
    entry(att.put_result.as_ref()) != entry(att.prev_sent.as_ref())
}

/// Makes what the plugin's configuration expects of the fake host: the
/// parent link a `master` key names (macvlan, ipvlan), as a veth end.
pub fn prepare_host(
    sandbox: &Sandbox,
    conf: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    let Some(master) = conf.get("master").and_then(Value::as_str) else {
        return Ok(());
    };
    let h = Handle::in_netns(sandbox.host_netns_fd()).map_err(|e| e.to_string())?;
    if h.link(LinkRef::Name(master))
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(());
    }
    h.create_veth(&Veth::new(master, short_name("peer-", master)))
        .map_err(|e| format!("creating the parent link {master} in the fake host: {e}"))?;
    h.set_up(LinkRef::Name(master)).map_err(|e| e.to_string())?;
    Ok(())
}
