//! Embeds `migrations/NNNN_name.sql` in version order. A gap or a duplicate number fails the build:
//! a database that skipped or double-applied a step is far harder to repair than a red build.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut found: Vec<(u32, String, String)> = Vec::new();
    for entry in fs::read_dir(&dir).expect("migrations/ must exist") {
        let path = entry.expect("readable migrations/ entry").path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file.ends_with(".sql") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = file.trim_end_matches(".sql");
        let (number, name) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("migration {file}: expected NNNN_name.sql"));
        let version: u32 = number
            .parse()
            .unwrap_or_else(|_| panic!("migration {file}: {number:?} is not a number"));
        found.push((version, name.to_string(), path.display().to_string()));
    }
    found.sort();

    for (index, (version, name, _)) in found.iter().enumerate() {
        let expected = index as u32 + 1;
        if *version != expected {
            let problem = if index > 0 && found[index - 1].0 == *version {
                "duplicate number"
            } else {
                "gap in numbering"
            };
            panic!("migration {version:04}_{name}.sql: {problem} (expected {expected:04})");
        }
    }

    let mut out = String::from("pub const MIGRATIONS: &[Migration] = &[\n");
    for (version, name, path) in &found {
        out.push_str(&format!(
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({path:?}) }},\n"
        ));
    }
    out.push_str("];\n");
    let target = Path::new(&env::var("OUT_DIR").unwrap()).join("migrations.rs");
    fs::write(target, out).expect("write migrations.rs");
}
