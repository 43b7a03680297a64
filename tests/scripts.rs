//! scripts/ on machines other than the Debian one they were first written on: where env.sh finds
//! PostgreSQL, how setup.sh compares Node versions against what wrangler needs, pg.sh's locale on a
//! system without C.UTF-8, and pg.sh for a checkout inside a private (0700) home folder, which as
//! root the postgres user cannot enter.
use missed_call_textback::database;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use test_support::{OwnCluster, TempDir};

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

#[test]
fn clusters_use_c_utf8_where_the_system_has_it_and_c_elsewhere() {
    for (locales, chosen) in [
        ("C\nC.utf8\nPOSIX\nen_US.utf8\n", "C.UTF-8\n"),
        // macOS: no C.UTF-8, which initdb would refuse.
        ("C\nPOSIX\nen_US.UTF-8\nUTF-8\n", "C\n"),
    ] {
        let (said, _) = with_env_sh(&format!("printf '{locales}' | initdb_locale"), None);
        assert_eq!(said, chosen, "{locales:?}");
    }
}

#[tokio::test]
async fn a_cluster_for_a_checkout_in_a_private_home_starts_serves_and_stops() {
    let home = TempDir::new("mctb-private-home-");
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    // Declared after the home folder, so dropped (stopped and removed) before it.
    let cluster = OwnCluster::new(home.path().join("checkout/.local/test-pg"));
    cluster.start();
    let db = database::connect_url(&cluster.url("")).await.unwrap();
    db.batch_execute("CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)")
        .await
        .unwrap();
    drop(db);

    cluster.stop();
    let error = database::connect_url(&cluster.url("")).await.err();
    assert!(error.is_some(), "still serving after pg.sh stop");
    // Started again from the same folder, it finds the same cluster and its data.
    cluster.start();
    let db = database::connect_url(&cluster.url("")).await.unwrap();
    let kept: i64 = db
        .query_one("SELECT count(*) FROM kept", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 1);
}
