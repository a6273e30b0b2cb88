//! Measures a gazetteer at dictionary scale: generate entries, build from TSV,
//! write and load the compiled form. Run under `/usr/bin/time -v` for peak RSS:
//!
//! ```sh
//! cargo build --release -p rubric-gazetteer --example scale
//! target/release/examples/scale generate 1000000 /tmp/1m.tsv
//! /usr/bin/time -v target/release/examples/scale build /tmp/1m.tsv double-array /tmp/1m.rgz
//! /usr/bin/time -v target/release/examples/scale load /tmp/1m.rgz
//! ```
//!
//! The README gives the figures and the machine.

use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rubric_gazetteer::{EngineKind, Gazetteer, GazetteerBuilder, MatcherBuilder};
use rubric_tokenizer::Tokenizer;

#[path = "../benches/support/generated.rs"]
mod generated;

const ARTICLE: &str = include_str!("../../../corpus/article.txt");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", count, path] => {
            generated::generate(count.parse()?, BufWriter::new(std::fs::File::create(path)?))?;
            println!("generated in {:.2?}", started.elapsed());
        }
        ["build", tsv, engine, rest @ ..] => {
            let engine: EngineKind = engine.parse()?;
            let gazetteer =
                GazetteerBuilder::new().engine(engine).add_tsv_path(Path::new(tsv))?.build()?;
            println!(
                "built {} entries ({} patterns, automaton {} MB) with {engine:?} in {:.2?}",
                gazetteer.len(),
                gazetteer.stats().patterns,
                gazetteer.stats().automaton_bytes / 1_000_000,
                started.elapsed()
            );
            if let [out] = rest {
                let written = Instant::now();
                let mut file = BufWriter::new(std::fs::File::create(out)?);
                gazetteer.write_compiled(&mut file)?;
                println!("wrote {out} in {:.2?}", written.elapsed());
            }
            search(gazetteer);
        }
        ["load", path] => {
            let gazetteer = Gazetteer::load_compiled(Path::new(path))?;
            println!("loaded {} entries in {:.2?}", gazetteer.len(), started.elapsed());
            search(gazetteer);
        }
        _ => {
            eprintln!("usage: scale generate N FILE | build TSV ENGINE [OUT] | load FILE");
            std::process::exit(2);
        }
    }
    Ok(())
}

fn search(gazetteer: Gazetteer) {
    let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
    let tokens = Tokenizer::new().tokenize(ARTICLE);
    let started = Instant::now();
    let matches = matcher.find(ARTICLE, &tokens);
    println!(
        "article: {} spans, {} dropped, in {:.2?}",
        matches.spans.len(),
        matches.dropped.len(),
        started.elapsed()
    );
}
