//! The exporter against the article: records, schema, converters (module filled in by the exporter work).
