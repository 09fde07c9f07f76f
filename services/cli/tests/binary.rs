//! The `skp` binary itself, without NATS: its help, its exit codes for bad arguments and
//! missing configuration, and `verify --bundle` on a file that is not a bundle. (Its
//! commands against a real stream are in the end-to-end tests, `tests/tests/e2e/cli.rs`,
//! which run this very binary.)

#![allow(clippy::unwrap_used, missing_docs)]

use std::process::Command;

fn skp(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_skp")).args(args).env_remove("SKP_JWT_SECRET").output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn help_names_every_subcommand() {
    let (code, out, _) = skp(&["--help"]);
    assert_eq!(code, 0);
    for command in ["replay", "verify", "export", "projections", "token", "seed-demo"] {
        assert!(out.contains(command), "{command} in:\n{out}");
    }
}

#[test]
fn bad_arguments_and_missing_configuration_exit_2() {
    assert_eq!(skp(&["replay", "not-a-uuid"]).0, 2);
    assert_eq!(skp(&["no-such-command"]).0, 2);
    let (code, _, err) = skp(&["token", "--nip", "199001012015011001"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SKP_JWT_SECRET"), "{err}");
    let (code, _, err) = skp(&["verify", "--bundle", "/nonexistent/bundle.json"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_file_that_is_not_a_bundle_fails_verification() {
    let path = std::env::temp_dir().join(format!("skp-not-a-bundle-{}.json", std::process::id()));
    std::fs::write(&path, "{\"hello\": 1}").unwrap();
    let (code, _, err) = skp(&["verify", "--bundle", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not an SKP evidence bundle"), "{err}");
}
