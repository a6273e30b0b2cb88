//! The gazetteer against the article (module filled in by the gazetteer work).
