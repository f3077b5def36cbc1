//! The runtime obeys the runtime-side rules (R-*, L-CACHE-*, F-CONF-*),
//! shown with recording stub plugins. Each test names the rule it proves.

use cnitest::runtime::request::{self, EmptyRuntimeConfig, RequestParts};
use cnitest::runtime::stub::{Record, Reply};
use cnitest::runtime::{Attachment, GcAttachment, ListError, PluginFailure};
use cnitest::spec::{Command, NetworkConfig};
use serde_json::{Map, Value, json};

use crate::support::{StubDir, fail, net, ok, result_with};

fn attachment() -> Attachment {
    Attachment::new("c1", Some(std::path::Path::new("/run/netns/x")), "eth0")
}

fn env_without_command(r: &Record) -> Map<String, Value> {
    let mut env = r.env.clone();
    env.shift_remove("CNI_COMMAND");
    env
}

fn commands(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.command.clone().unwrap_or_default())
        .collect()
}

/// Three stubs in one list, each answering ADD with its own address.
fn chain_of_three(
    d: &StubDir,
    version: &str,
) -> (NetworkConfig, Vec<cnitest::runtime::stub::Stub>) {
    let stubs: Vec<_> = ["a", "b", "c"].iter().map(|n| d.stub(n)).collect();
    for (i, s) in stubs.iter().enumerate() {
        s.script("ADD", ok(result_with(&format!("10.1.0.{}/24", i + 2))))
            .unwrap();
    }
    let network = net(json!({
        "cniVersion": version, "name": "net1",
        "plugins": stubs.iter().map(|s| json!({"type": s.name()})).collect::<Vec<_>>(),
    }));
    (network, stubs)
}

#[test]
fn r_env_1_environment_and_stdin() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let n = net(
        json!({"cniVersion": "1.0.0", "name": "net1", "plugins": [{"type": s.name(), "x": 1}]}),
    );
    let mut a = attachment();
    a.cni_args = vec![("IgnoreUnknown".into(), "1".into())];
    d.runtime().add(&n, &a, &mut Vec::new()).unwrap();
    let r = &s.records()[0];
    assert_eq!(r.env("CNI_COMMAND"), Some("ADD"));
    assert_eq!(r.env("CNI_CONTAINERID"), Some("c1"));
    assert_eq!(r.env("CNI_NETNS"), Some("/run/netns/x"));
    assert_eq!(r.env("CNI_IFNAME"), Some("eth0"));
    assert_eq!(r.env("CNI_ARGS"), Some("IgnoreUnknown=1"));
    let expected = request::derive(
        &n,
        &n.plugins[0],
        RequestParts {
            command: Command::Add,
            capability_args: &Map::new(),
            prev_result: None,
            valid_attachments: None,
            empty_runtime_config: EmptyRuntimeConfig::Omit,
        },
    );
    assert_eq!(r.stdin.as_bytes(), request::to_bytes(&expected));
}

#[test]
fn r_env_2_every_plugin_of_a_list_gets_the_same_environment() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    d.runtime().add(&n, &attachment(), &mut Vec::new()).unwrap();
    let envs: Vec<_> = stubs.iter().map(|s| s.records()[0].env.clone()).collect();
    assert_eq!(envs[0], envs[1]);
    assert_eq!(envs[1], envs[2]);
}

#[test]
fn r_env_3_check_and_del_repeat_the_add_parameters() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap();
    rt.check(&n, &a, &mut Vec::new()).unwrap();
    rt.del(&n, &a, &mut Vec::new()).unwrap();
    let records = stubs[0].records();
    assert_eq!(commands(&records), ["ADD", "CHECK", "DEL"]);
    assert_eq!(
        env_without_command(&records[0]),
        env_without_command(&records[1])
    );
    assert_eq!(
        env_without_command(&records[0]),
        env_without_command(&records[2])
    );
}

#[test]
fn r_env_5_cni_path_is_the_runtime_search_path() {
    let d = StubDir::new();
    let s = d.stub("a");
    let n = net(json!({"cniVersion": "1.1.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    d.runtime().status(&n, &mut Vec::new()).unwrap();
    assert_eq!(
        s.records()[0].env("CNI_PATH"),
        Some(d.path().to_str().unwrap())
    );
}

#[test]
fn r_env_6_plugins_run_in_the_runtime_namespace() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let n = net(json!({"cniVersion": "1.0.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    d.runtime().add(&n, &attachment(), &mut Vec::new()).unwrap();
    let own = std::fs::read_link("/proc/self/ns/net").unwrap();
    assert_eq!(s.records()[0].netns, own.display().to_string());
}

#[test]
fn r_env_7_gc_and_status_carry_no_attachment() {
    let d = StubDir::new();
    let s = d.stub("a");
    let n = net(json!({"cniVersion": "1.1.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    let rt = d.runtime();
    rt.gc(&n, &[], &mut Vec::new()).unwrap();
    rt.status(&n, &mut Vec::new()).unwrap();
    for r in s.records() {
        for var in ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"] {
            assert_eq!(r.env(var), None, "{var} in {:?}", r.command);
        }
    }
    assert_eq!(commands(&s.records()), ["GC", "STATUS"]);
}

#[test]
fn r_env_8_cni_version_variable_at_0_1_0() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script(
        "ADD",
        ok(json!({"cniVersion": "0.1.0", "ip4": {"ip": "10.1.0.2/24"}})),
    )
    .unwrap();
    let n =
        NetworkConfig::from_value(json!({"cniVersion": "0.1.0", "name": "net1", "type": s.name()}))
            .unwrap();
    d.runtime().add(&n, &attachment(), &mut Vec::new()).unwrap();
    assert_eq!(s.records()[0].env("CNI_VERSION"), Some("0.1.0"));
}

#[test]
fn r_req_1_to_4_and_6_what_each_plugin_reads() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let text = format!(
        r#"{{"cniVersion":"1.0.0","name":"net1","plugins":[{{"type":"{}","name":"other","cniVersion":"0.1.0",
            "capabilities":{{"portMappings":true,"mac":false}},"prevResult":{{"stray":1}},"big":123456789012345678901234567890}}]}}"#,
        s.name()
    );
    let n = NetworkConfig::from_slice(text.as_bytes()).unwrap();
    let mut a = attachment();
    a.capability_args = json!({"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}], "mac": "c2:11:22:33:44:55"})
        .as_object()
        .unwrap()
        .clone();
    d.runtime().add(&n, &a, &mut Vec::new()).unwrap();
    let r = &s.records()[0];
    let req = r.request().unwrap();
    assert_eq!(req["name"], "net1", "R-REQ-1");
    assert_eq!(req["cniVersion"], "1.0.0", "R-REQ-1");
    assert_eq!(
        req["runtimeConfig"],
        json!({"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}),
        "R-REQ-2"
    );
    assert!(req.get("capabilities").is_none(), "R-REQ-3");
    assert!(
        req.get("prevResult").is_none(),
        "R-REQ-4: the first plugin gets no prevResult"
    );
    assert!(
        r.stdin.contains("\"big\":123456789012345678901234567890"),
        "R-REQ-6: {}",
        r.stdin
    );
}

#[test]
fn r_req_5_gc_valid_attachments_under_both_keys() {
    let d = StubDir::new();
    let s = d.stub("a");
    let n = net(json!({"cniVersion": "1.1.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    let valid = vec![GcAttachment {
        container_id: "c1".into(),
        ifname: "eth0".into(),
    }];
    d.runtime().gc(&n, &valid, &mut Vec::new()).unwrap();
    let req = s.records()[0].request().unwrap();
    let want = json!([{"containerID": "c1", "ifname": "eth0"}]);
    assert_eq!(req["cni.dev/valid-attachments"], want);
    assert_eq!(req["cni.dev/attachments"], want);
    assert!(req.get("runtimeConfig").is_none() && req.get("prevResult").is_none());
}

#[test]
fn r_chain_1_add_threads_each_result_into_the_next() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    let result = d.runtime().add(&n, &attachment(), &mut Vec::new()).unwrap();
    let reqs: Vec<Value> = stubs
        .iter()
        .map(|s| s.records()[0].request().unwrap())
        .collect();
    assert!(reqs[0].get("prevResult").is_none());
    assert_eq!(reqs[1]["prevResult"]["ips"][0]["address"], "10.1.0.2/24");
    assert_eq!(reqs[2]["prevResult"]["ips"][0]["address"], "10.1.0.3/24");
    assert_eq!(result["ips"][0]["address"], "10.1.0.4/24");
}

#[test]
fn r_chain_2_a_failure_stops_the_list_and_is_passed_through() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    stubs[1].script("ADD", fail(11, "try later")).unwrap();
    let err = d
        .runtime()
        .add(&n, &attachment(), &mut Vec::new())
        .unwrap_err();
    let ListError::Plugin {
        index,
        failure: PluginFailure::Error(e),
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!((*index, e.code, e.msg.as_str()), (1, 11, "try later"));
    assert!(stubs[2].records().is_empty());
    assert!(
        d.runtime()
            .cache
            .read("net1", "c1", "eth0")
            .unwrap()
            .is_none(),
        "L-CACHE-4: no cache after a failed ADD"
    );
}

#[test]
fn r_chain_3_del_after_a_failed_add_reaches_every_plugin_in_reverse() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    stubs[1].script("ADD", fail(11, "try later")).unwrap();
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap_err();
    rt.del_after_failed_add(&n, &a, &mut Vec::new()).unwrap();
    let dels: Vec<Record> = stubs
        .iter()
        .rev()
        .map(|s| {
            s.records()
                .into_iter()
                .find(|r| r.command.as_deref() == Some("DEL"))
                .unwrap()
        })
        .collect();
    assert!(
        dels.windows(2).all(|w| w[0].end_ns <= w[1].start_ns),
        "reverse order"
    );
    assert!(
        dels.iter()
            .all(|r| r.request().unwrap().get("prevResult").is_none())
    );
}

#[test]
fn r_chain_4_del_runs_in_reverse_order() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap();
    let mut trace = Vec::new();
    rt.del(&n, &a, &mut trace).unwrap();
    let order: Vec<&str> = trace.iter().map(|c| c.plugin.as_str()).collect();
    assert_eq!(order, [stubs[2].name(), stubs[1].name(), stubs[0].name()]);
    let adds: Vec<u128> = stubs.iter().map(|s| s.records()[1].start_ns).collect();
    assert!(adds[2] < adds[1] && adds[1] < adds[0]);
}

#[test]
fn r_chain_5_r_check_3_r_del_1_everyone_gets_the_final_result() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    let rt = d.runtime();
    let a = attachment();
    let final_result = rt.add(&n, &a, &mut Vec::new()).unwrap();
    rt.check(&n, &a, &mut Vec::new()).unwrap();
    rt.del(&n, &a, &mut Vec::new()).unwrap();
    for s in &stubs {
        for r in &s.records()[1..] {
            assert_eq!(
                r.request().unwrap()["prevResult"],
                final_result,
                "{:?} of {}",
                r.command,
                s.name()
            );
        }
    }
}

#[test]
fn r_chain_6_the_result_survives_a_new_runtime() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    let a = attachment();
    let result = d.runtime().add(&n, &a, &mut Vec::new()).unwrap();
    // A second runtime value, as after a restart, with the same cache dir.
    d.runtime().del(&n, &a, &mut Vec::new()).unwrap();
    assert_eq!(
        stubs[0].records()[1].request().unwrap()["prevResult"],
        result
    );
}

#[test]
fn r_chain_7_r_check_4_check_in_order_stopping_at_the_first_error() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    stubs[1]
        .script("CHECK", fail(100, "route missing"))
        .unwrap();
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap();
    let mut trace = Vec::new();
    let err = rt.check(&n, &a, &mut trace).unwrap_err();
    assert!(err.to_string().contains("route missing"), "{err}");
    let order: Vec<&str> = trace.iter().map(|c| c.plugin.as_str()).collect();
    assert_eq!(order, [stubs[0].name(), stubs[1].name()]);
}

#[test]
fn r_chain_8_a_result_in_the_wrong_version_is_not_passed_on() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    stubs[0]
        .script(
            "ADD",
            ok(json!({"cniVersion": "0.4.0", "ips": [{"version": "4", "address": "10.1.0.2/24"}]})),
        )
        .unwrap();
    let err = d
        .runtime()
        .add(&n, &attachment(), &mut Vec::new())
        .unwrap_err();
    assert!(err.to_string().contains("P-ADD-1"), "{err}");
    assert!(stubs[1].records().is_empty());
}

#[test]
fn r_check_1_no_check_without_an_add() {
    let d = StubDir::new();
    let (n, stubs) = chain_of_three(&d, "1.0.0");
    let err = d
        .runtime()
        .check(&n, &attachment(), &mut Vec::new())
        .unwrap_err();
    assert!(matches!(err, ListError::NotAdded { .. }), "{err}");
    assert!(stubs.iter().all(|s| s.records().is_empty()));
}

#[test]
fn r_check_2_f_conf_4_disable_check() {
    for (version, value) in [("1.0.0", json!(true)), ("0.4.0", json!("TRUE"))] {
        let d = StubDir::new();
        let s = d.stub("a");
        let n = net(
            json!({"cniVersion": version, "name": "net1", "disableCheck": value, "plugins": [{"type": s.name()}]}),
        );
        d.runtime()
            .check(&n, &attachment(), &mut Vec::new())
            .unwrap();
        assert!(s.records().is_empty(), "{version}");
    }
}

#[test]
fn r_del_1_no_prev_result_on_del_before_0_4_0() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script(
        "ADD",
        ok(json!({"cniVersion": "0.3.1", "ips": [{"version": "4", "address": "10.1.0.2/24"}]})),
    )
    .unwrap();
    let n = net(json!({"cniVersion": "0.3.1", "name": "net1", "plugins": [{"type": s.name()}]}));
    let rt = d.runtime();
    rt.add(&n, &attachment(), &mut Vec::new()).unwrap();
    rt.del(&n, &attachment(), &mut Vec::new()).unwrap();
    assert!(
        s.records()[1]
            .request()
            .unwrap()
            .get("prevResult")
            .is_none()
    );
}

#[test]
fn r_del_2_l_cache_6_cache_removed_after_del_kept_after_failure() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    s.script("DEL", fail(11, "busy")).unwrap();
    let n = net(json!({"cniVersion": "1.0.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap();
    rt.del(&n, &a, &mut Vec::new()).unwrap_err();
    assert!(
        rt.cache.read("net1", "c1", "eth0").unwrap().is_some(),
        "kept for a retry"
    );
    s.script("DEL", Reply::default()).unwrap();
    rt.del(&n, &a, &mut Vec::new()).unwrap();
    assert!(rt.cache.read("net1", "c1", "eth0").unwrap().is_none());
    assert!(matches!(
        rt.check(&n, &a, &mut Vec::new()),
        Err(ListError::NotAdded { .. })
    ));
}

#[test]
fn l_cache_5_corrupt_cache_blocks_check_not_del() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let n = net(json!({"cniVersion": "1.0.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap();
    std::fs::write(rt.cache.path("net1", "c1", "eth0"), "{garbage").unwrap();
    assert!(matches!(
        rt.check(&n, &a, &mut Vec::new()),
        Err(ListError::Cache(_))
    ));
    rt.del(&n, &a, &mut Vec::new()).unwrap();
    let del = s.records().pop().unwrap();
    assert_eq!(del.command.as_deref(), Some("DEL"));
    assert!(del.request().unwrap().get("prevResult").is_none());
}

#[test]
fn r_conv_1_cached_result_is_converted_to_the_config_version() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let n = net(json!({"cniVersion": "1.0.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap();
    let older =
        net(json!({"cniVersion": "0.4.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    rt.check(&older, &a, &mut Vec::new()).unwrap();
    let prev = s.records()[1].request().unwrap()["prevResult"].clone();
    assert_eq!(prev["cniVersion"], "0.4.0");
    assert_eq!(prev["ips"][0]["version"], "4");
}

#[test]
fn r_add_2_a_missing_plugin_fails_before_any_runs() {
    let d = StubDir::new();
    let s = d.stub("a");
    let n = net(
        json!({"cniVersion": "1.0.0", "name": "net1", "plugins": [{"type": s.name()}, {"type": "does-not-exist"}]}),
    );
    let err = d
        .runtime()
        .add(&n, &attachment(), &mut Vec::new())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("failed to find plugin \"does-not-exist\""),
        "{err}"
    );
    assert!(s.records().is_empty());
}

#[test]
fn r_gc_2_r_gc_1_gc_never_overlaps_add_or_del_and_del_is_not_gc() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let n = net(json!({"cniVersion": "1.1.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    let rt = d.runtime();
    let a = attachment();
    rt.add(&n, &a, &mut Vec::new()).unwrap();
    rt.gc(&n, &[], &mut Vec::new()).unwrap();
    rt.del(&n, &a, &mut Vec::new()).unwrap();
    let records = s.records();
    assert_eq!(commands(&records), ["ADD", "GC", "DEL"]);
    assert!(records.windows(2).all(|w| w[0].end_ns <= w[1].start_ns));
}

#[test]
fn r_gc_3_gc_goes_on_past_a_failure_and_returns_every_error() {
    let d = StubDir::new();
    let (a, b, c) = (d.stub("a"), d.stub("b"), d.stub("c"));
    a.script("GC", fail(100, "a broke")).unwrap();
    c.script("GC", fail(101, "c broke")).unwrap();
    let n = net(
        json!({"cniVersion": "1.1.0", "name": "net1", "plugins": [{"type": a.name()}, {"type": b.name()}, {"type": c.name()}]}),
    );
    let err = d.runtime().gc(&n, &[], &mut Vec::new()).unwrap_err();
    assert_eq!(b.records().len(), 1);
    let text = err.to_string();
    assert!(
        text.contains("a broke") && text.contains("c broke"),
        "{text}"
    );
}

#[test]
fn r_gc_4_f_conf_5_disable_gc() {
    let d = StubDir::new();
    let s = d.stub("a");
    let n = net(
        json!({"cniVersion": "1.1.0", "name": "net1", "disableGC": true, "plugins": [{"type": s.name()}]}),
    );
    d.runtime().gc(&n, &[], &mut Vec::new()).unwrap();
    assert!(s.records().is_empty());
}

#[test]
fn r_gc_5_optional_del_of_stale_cached_attachments() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let n = net(json!({"cniVersion": "1.1.0", "name": "net1", "plugins": [{"type": s.name()}]}));
    let mut rt = d.runtime();
    rt.add(&n, &attachment(), &mut Vec::new()).unwrap();
    rt.gc(&n, &[], &mut Vec::new()).unwrap();
    assert_eq!(commands(&s.records()), ["ADD", "GC"], "off by default");
    rt.gc_deletes_stale_cached = true;
    rt.gc(&n, &[], &mut Vec::new()).unwrap();
    assert_eq!(commands(&s.records()), ["ADD", "GC", "DEL", "GC"]);
    assert!(rt.cache.attachments("net1").is_empty());
}

#[test]
fn f_conf_2_the_highest_shared_version_is_sent() {
    let d = StubDir::new();
    let s = d.stub("a");
    let n = net(
        json!({"cniVersion": "0.4.0", "cniVersions": ["0.3.1", "1.0.0", "1.1.0", "9.9.9"], "name": "net1", "plugins": [{"type": s.name()}]}),
    );
    d.runtime().status(&n, &mut Vec::new()).unwrap();
    assert_eq!(s.records()[0].request().unwrap()["cniVersion"], "1.1.0");
}

#[test]
fn r_ver_1_l_val_1_version_probing() {
    let d = StubDir::new();
    let (good, old, bad) = (d.stub("good"), d.stub("old"), d.stub("bad"));
    old.script(
        "VERSION",
        ok(json!({"cniVersion": "$cniVersion", "supportedVersions": ["0.3.1", "0.4.0"]})),
    )
    .unwrap();
    bad.script("VERSION", fail(4, "unknown CNI_COMMAND: VERSION"))
        .unwrap();
    let n = net(
        json!({"cniVersion": "1.0.0", "name": "net1", "plugins": [{"type": good.name()}, {"type": old.name()}, {"type": bad.name()}]}),
    );
    let probes = d.runtime().probe(&n, &mut Vec::new()).unwrap();
    let support: Vec<bool> = probes.iter().map(|p| p.supports_list_version).collect();
    assert_eq!(support, [true, false, false]);
    assert!(probes[2].info.is_err(), "R-VER-1: taken as 0.1.0 only");
    let env = &good.records()[0].env;
    assert!(
        env.keys()
            .filter(|k| k.starts_with("CNI_"))
            .eq(["CNI_COMMAND"].iter()),
        "P-VER-3: {env:?}"
    );
}
