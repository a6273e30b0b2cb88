//! Compiles the default gazetteer (`corpus/gazetteer/default.tsv`) at build time,
//! so the binary embeds the compiled form and `Gazetteer::embedded_default` loads
//! it in milliseconds instead of parsing and building the automaton at every start
//! (seconds for a few hundred thousand entries; figures in the README).
//!
//! The build script compiles the crate's own source files (everything but the
//! matcher and the tokenizer checks) with `#[path]`, so there is one implementation
//! of the format, not two.

#![allow(dead_code, unused_imports)]

#[path = "src/compiled.rs"]
mod compiled;
#[path = "src/engine.rs"]
mod engine;
#[path = "src/entry.rs"]
mod entry;
#[path = "src/error.rs"]
mod error;
#[path = "src/gazetteer.rs"]
mod gazetteer;
#[path = "src/normalize.rs"]
mod normalize;
#[path = "src/pattern.rs"]
mod pattern;

use std::path::PathBuf;

/// `default.tsv`, and `rules.jsonl` (token patterns) with its lexicon word lists
/// when present.
const SOURCE_DIR: &str = "../../corpus/gazetteer";

fn main() {
    // A directory: cargo reruns when any file in it changes (a new rules.jsonl
    // or lexicon included).
    println!("cargo::rerun-if-changed={SOURCE_DIR}");
    for file in ["compiled", "engine", "entry", "error", "gazetteer", "normalize", "pattern"] {
        println!("cargo::rerun-if-changed=src/{file}.rs");
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let mut builder = gazetteer::GazetteerBuilder::new();
    if let Err(err) =
        builder.add_default_sources(std::path::Path::new(SOURCE_DIR), "corpus/gazetteer")
    {
        fail(&err.to_string());
    }
    let built = builder.into_gazetteer().unwrap_or_else(|err| fail(&err.to_string()));
    let mut compiled = Vec::new();
    if let Err(err) = built.write_compiled(&mut compiled) {
        fail(&err.to_string());
    }
    if let Err(err) = std::fs::write(out_dir.join("default.rgz"), compiled) {
        fail(&format!("cannot write the compiled default gazetteer: {err}"));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("the default gazetteer does not build: {message}");
    std::process::exit(1);
}
