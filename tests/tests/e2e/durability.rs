//! Every NATS configuration SKP ships sets `sync_interval: always` inside its `jetstream`
//! block (DESIGN.md decision 9): an acknowledgement means the event is on disk.

use std::path::{Path, PathBuf};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Every server configuration under deploy/nats, at any depth (`auth.conf`, the users that
/// the secured ones include, is no server's whole configuration).
fn shipped_configs() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "conf") && !path.ends_with("auth.conf") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&deploy().join("nats"), &mut found);
    found.sort();
    found
}

/// The text of the `jetstream { ... }` block, comments removed.
fn jetstream_block(text: &str) -> Option<String> {
    let code: String = text.lines().map(|l| l.split('#').next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
    let start = code.find("jetstream")?;
    let open = start + code[start..].find('{')?;
    let mut depth = 0;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(code[open + 1..open + i].to_owned());
                }
            }
            _ => {}
        }
    }
    None
}

#[test]
fn every_shipped_nats_configuration_syncs_before_it_acknowledges() {
    let configs = shipped_configs();
    assert_eq!(configs.len(), 8, "single node, secured single node, three loopback cluster nodes, three compose nodes: {configs:?}");
    for path in configs {
        let text = std::fs::read_to_string(&path).expect("readable");
        let block = jetstream_block(&text).unwrap_or_else(|| panic!("{} has no jetstream block", path.display()));
        let syncs = block.lines().map(str::trim).any(|l| l.replace([' ', '\t', '"'], "").replace('=', ":") == "sync_interval:always");
        assert!(syncs, "{} does not set sync_interval: always in its jetstream block", path.display());
    }
}

#[test]
fn the_check_finds_a_missing_or_commented_out_setting() {
    assert!(jetstream_block("jetstream { store_dir: x }").is_some_and(|b| !b.contains("sync_interval")));
    assert!(jetstream_block("jetstream {\n  # sync_interval: always\n}").is_some_and(|b| !b.contains("sync_interval")));
    assert!(jetstream_block("jetstream {\n  sync_interval: always\n}").is_some_and(|b| b.contains("sync_interval: always")));
}

#[test]
fn the_compose_cluster_runs_the_shipped_node_configurations() {
    let compose = std::fs::read_to_string(deploy().join("compose.yaml")).expect("deploy/compose.yaml");
    for node in ["n1", "n2", "n3"] {
        let mount = format!("./nats/compose/{node}.conf:/etc/nats/{node}.conf:ro");
        assert!(compose.contains(&mount), "compose.yaml mounts {mount}");
        assert!(compose.contains(&format!("[\"-c\", \"/etc/nats/{node}.conf\"]")), "{node} runs with its configuration");
        assert!(deploy().join(format!("nats/compose/{node}.conf")).exists());
    }
    assert!(compose.contains("SKP_STREAM_REPLICAS: \"3\""), "the event stream is R3 on the compose cluster");
}
