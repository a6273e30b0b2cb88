//! rubric's integration tests: one binary, one module per area (as ripgrep does), so
//! the suite links once.

mod annotate;
mod cli;
mod diff;
mod exporter;
mod gazetteer;
mod hostile;
mod label_studio;
mod readme;
mod records;
mod show;
mod support;
mod tokenizer;
mod validate;
