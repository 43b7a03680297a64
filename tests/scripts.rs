//! scripts/ on machines other than the Debian one they were first written on: where env.sh finds
//! PostgreSQL, and how setup.sh compares Node versions against what wrangler needs.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use test_support::TempDir;

/// Runs `snippet` in bash after sourcing scripts/env.sh, with `path_first` ahead on PATH; its
/// output and whether it succeeded.
fn with_env_sh(snippet: &str, path_first: Option<&Path>) -> (String, bool) {
    let env_sh = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/env.sh");
    let mut path = std::env::var("PATH").unwrap_or_default();
    if let Some(dir) = path_first {
        path = format!("{}:{path}", dir.display());
    }
    let output = Command::new("bash")
        .args(["-c", &format!("source \"$1\"; {snippet}"), "bash", env_sh])
        .env("PATH", path)
        .output()
        .expect("run bash");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        output.status.success(),
    )
}

#[test]
fn postgresql_on_path_is_found_first() {
    // As on a Mac with Homebrew's or Postgres.app's PostgreSQL: pg_ctl and initdb on PATH.
    let bin = TempDir::new("mctb-pg-bin-");
    for program in ["pg_ctl", "initdb"] {
        let file = bin.path().join(program);
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (pg_bin, _) = with_env_sh("printf %s \"$PG_BIN\"", Some(bin.path()));
    assert_eq!(pg_bin, bin.path().display().to_string());
}

#[test]
fn node_versions_compare_by_number() {
    for (have, want, at_least) in [
        ("v22.23.3", "22.12.0", true),
        ("v22.12.0", "22.12.0", true),
        ("v24.1.0", "22.12.0", true),
        ("v22.9.1", "22.12.0", false),
        ("v20.20.2", "22.12.0", false),
    ] {
        let (_, ok) = with_env_sh(&format!("version_at_least {have} {want}"), None);
        assert_eq!(ok, at_least, "{have} against {want}");
    }
}
