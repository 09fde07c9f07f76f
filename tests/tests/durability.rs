//! Every NATS configuration SKP ships sets `sync_interval: always` inside its `jetstream`
//! block (DESIGN.md decision 9): an acknowledgement means the event is on disk.

use std::path::{Path, PathBuf};

fn shipped_configs() -> Vec<PathBuf> {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nats");
    let mut found = vec![deploy.join("single.conf")];
    let mut cluster: Vec<PathBuf> = std::fs::read_dir(deploy.join("cluster"))
        .expect("deploy/nats/cluster")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "conf"))
        .collect();
    cluster.sort();
    found.extend(cluster);
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
    assert_eq!(configs.len(), 4, "single node and three cluster nodes: {configs:?}");
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
