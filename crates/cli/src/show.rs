//! `rubric show`: annotated documents as text for people to read, with every
//! entity marked where it is: highlighted in its label's colour, label tag beside
//! it, on a terminal; in brackets, `[Joe Biden](PERSON)`, anywhere else. Also what
//! `rubric annotate` prints on a terminal when it was given no `-o` and no
//! `--format` ([`annotate_to_terminal`]).
//!
//! The view is for reading only: nothing reads it back, and the JSON Lines rubric
//! writes to pipes and files are unchanged by it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal};
use std::path::PathBuf;

use anstyle::{AnsiColor, Color, Style};
use rubric_exporter::{is_terminal_control, Record, Span};
use rubric_offsets::{OffsetMap, OffsetUnit};

use crate::convert::{From, Inputs};
use crate::error::Error;
use crate::input::Document;
use crate::output::Output;
use crate::run::{self, Processed, RunArgs, Sink, Status};

const EXAMPLES: &str = "\
Examples:
  rubric show gold.jsonl
  rubric show gold.jsonl --labels PERSON,ORG
  rubric show --from conll train.conll
  rubric show gold.jsonl --color always | less -R
  rubric annotate corpus/article.txt            (on a terminal: this view)

On a terminal each entity is highlighted in its label's colour with the label beside
it. Anywhere else (a pipe, a file), or with --color never, entities are written in
brackets with their label: [Joe Biden](PERSON). Spans that nest are shown nested;
a span that crosses another is listed after its document's text. Terminal control
characters in the text (an ESC, say) are shown escaped, as \\u{1b}, never sent to
the terminal.";

/// Arguments of `rubric show`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Input files (or, for brat, directories); `-` or nothing for standard input.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// The format of the inputs: any format `rubric convert` reads.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "jsonl")]
    pub from: From,

    /// Whose annotations to show from a Label Studio export (--from label-studio
    /// only): an annotator's e-mail address or user id, or a model version.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,

    /// Show only spans with these labels (comma-separated, e.g. PERSON,ORG).
    #[arg(long, value_name = "LABELS", value_delimiter = ',')]
    pub labels: Option<Vec<String>>,

    /// When to use colour: on a terminal only (auto; NO_COLOR and CLICOLOR_FORCE
    /// are honoured), always (e.g. for `less -R`), or never (brackets).
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
}

/// The `--color` option, as ripgrep has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    // Plain comments: clap would list documented values one per line.
    // Colour when standard output is a terminal that takes it.
    Auto,
    // Colour, whatever standard output is.
    Always,
    // Brackets, never colour.
    Never,
}

impl ColorWhen {
    /// Whether to write colour to standard output.
    fn colour(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            // anstream's reading of the terminal and of the environment (NO_COLOR,
            // CLICOLOR, CLICOLOR_FORCE, TERM=dumb), as clap's own help follows it.
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
            }
        }
    }
}

/// Runs `rubric show`.
pub fn run(args: &Args) -> Result<Status, Error> {
    if !args.from.0.reads_stdin()
        && (args.inputs.is_empty() || args.inputs.iter().any(|path| path.as_os_str() == "-"))
    {
        return Err(Error::usage(
            "--from brat, spacy, hf and label-studio read files (brat: directories or .ann \
             files; hf: its label list beside it), not standard input: name the inputs",
        ));
    }
    if args.annotator.is_some() && args.from.0 != rubric_exporter::Format::LabelStudio {
        return Err(Error::usage("--annotator applies to --from label-studio only"));
    }
    let paths = if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs.clone() };
    let mut out = Output::stdout_beside(&paths)?;
    // Read whole before anything is shown: the colours go to the labels in
    // alphabetical order, and a --labels naming no label of the input is an error,
    // not an empty screen.
    let mut records = Vec::new();
    for path in &paths {
        let read = Inputs::read_all(path, args.from, args.annotator.as_deref(), "show")?;
        records.extend(read.into_iter().map(|(record, _)| record));
    }
    let present: BTreeSet<&str> =
        records.iter().flat_map(|r| r.spans().iter().map(|s| s.label.as_str())).collect();
    let only = match &args.labels {
        None => None,
        Some(labels) => Some(checked_labels(labels, &present)?),
    };
    let shown: Vec<String> = present
        .iter()
        .filter(|label| only.as_ref().is_none_or(|only| only.contains(**label)))
        .map(|label| label.to_string())
        .collect();
    let mut view = View::new(args.color.colour(), only, &shown);
    for record in &records {
        let mut bytes = Vec::new();
        view.render(record, &mut bytes);
        out.write_bytes(&bytes)?;
    }
    out.finish()?;
    Ok(Status::Complete)
}

/// The labels of `--labels`, each checked against the labels the input has: a
/// label no span has (a typo, the wrong case) would show a document without a
/// single mark and look like a finding.
fn checked_labels(labels: &[String], present: &BTreeSet<&str>) -> Result<BTreeSet<String>, Error> {
    let known = || {
        if present.is_empty() {
            "the input has no spans at all".to_string()
        } else {
            let list: Vec<String> = present.iter().map(|label| format!("{label:?}")).collect();
            format!("the input's labels are {}", list.join(", "))
        }
    };
    let mut only = BTreeSet::new();
    for label in labels {
        if label.is_empty() {
            return Err(Error::usage(format!(
                "--labels: an empty label — list labels separated by commas, e.g. --labels \
                 PERSON,ORG; {}",
                known()
            )));
        }
        if !present.contains(label.as_str()) {
            return Err(Error::usage(format!(
                "--labels: no span has the label {label:?} — {}",
                known()
            )));
        }
        only.insert(label.clone());
    }
    Ok(only)
}

/// `rubric annotate` on a terminal with no `-o` and no `--format`: the records
/// shown as `rubric show` shows them (colour as `--color auto` decides), after a
/// one-line hint on standard error that JSON Lines is what annotate writes to a
/// pipe or a file. `work` annotates one document, as for JSON Lines.
pub fn annotate_to_terminal<W>(
    args: &RunArgs,
    labels: Option<&[String]>,
    work: W,
) -> Result<Status, Error>
where
    W: Fn(&Document) -> Result<Processed<Record>, Error> + Sync,
{
    // Said even under --quiet: without it, output that is not the JSON Lines the
    // README shows would look like a bug.
    run::stderr_line(
        "rubric annotate: showing the records for reading (as `rubric show` does); to a pipe \
         or a file (-o FILE) annotate writes them as JSON Lines",
    );
    let known: Vec<String> = labels.map(<[String]>::to_vec).unwrap_or_default();
    let view = View::new(ColorWhen::Auto.colour(), None, &known);
    let sink = ViewSink { out: Output::stdout_beside(&args.inputs)?, view };
    run::run(args, "spans", sink, work)
}

/// Whether standard output is a terminal (where `annotate` shows the view).
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Records rendered as they arrive, each flushed at once so that a person
/// watching sees every document as soon as it is annotated.
struct ViewSink {
    out: Output,
    view: View,
}

impl Sink<Record> for ViewSink {
    fn write(&mut self, record: Record) -> Result<(), Error> {
        let mut bytes = Vec::new();
        self.view.render(&record, &mut bytes);
        self.out.write_bytes(&bytes)?;
        self.out.writer().flush().map_err(Error::write)
    }

    fn finish(self) -> Result<(), Error> {
        self.out.finish()
    }

    fn paths(&self) -> Vec<(PathBuf, crate::output::OutputKind)> {
        Vec::new()
    }
}

/// `text[start..end]`. A record's spans are on character boundaries of its
/// text and nested as the view walks them (its invariant), so this is the
/// slice; if it ever were not, a mark is drawn around nothing rather than a panic.
fn cut(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or_default()
}

/// Background colours for labels, in the order labels get them. Bright and
/// normal tones with black text on them, readable on dark and light terminals
/// alike; blue, red and the greys are left out (black text on them is hard to
/// read, or they look like a selection).
const PALETTE: [AnsiColor; 10] = [
    AnsiColor::BrightYellow,
    AnsiColor::BrightCyan,
    AnsiColor::BrightGreen,
    AnsiColor::BrightMagenta,
    AnsiColor::BrightBlue,
    AnsiColor::BrightRed,
    AnsiColor::Yellow,
    AnsiColor::Cyan,
    AnsiColor::Green,
    AnsiColor::Magenta,
];

/// How records are drawn: in colour or in brackets, which labels, and which
/// colour each label has.
#[derive(Debug)]
pub struct View {
    colour: bool,
    /// `None`: every label.
    only: Option<BTreeSet<String>>,
    /// Each label's place in [`PALETTE`] (modulo its length), in the order labels
    /// were first given or met.
    colours: BTreeMap<String, usize>,
}

impl View {
    /// A view in colour or not, showing `only` those labels (`None`: all), with
    /// colours given to `labels` in their order first; a label met later gets
    /// the next colour.
    pub fn new(colour: bool, only: Option<BTreeSet<String>>, labels: &[String]) -> Self {
        let mut view = View { colour, only, colours: BTreeMap::new() };
        for label in labels {
            view.colour_of(label);
        }
        view
    }

    fn colour_of(&mut self, label: &str) -> Style {
        let next = self.colours.len();
        let index = *self.colours.entry(label.to_string()).or_insert(next);
        Style::new()
            .fg_color(Some(Color::Ansi(AnsiColor::Black)))
            .bg_color(Some(Color::Ansi(PALETTE[index % PALETTE.len()])))
    }

    /// Appends `record` as people read it: a header line with its id, its text
    /// with the spans marked, the spans that cross others (which cannot be marked
    /// in place), and a blank line.
    pub fn render(&mut self, record: &Record, out: &mut Vec<u8>) {
        let text = record.text();
        let header = format!("# {}", rubric_exporter::escape_controls(record.id()));
        if self.colour {
            let bold = Style::new().bold();
            out.extend_from_slice(
                format!("{}{header}{}\n", bold.render(), bold.render_reset()).as_bytes(),
            );
        } else {
            out.extend_from_slice(header.as_bytes());
            out.push(b'\n');
        }
        // Outer spans before the spans they hold: by start, the longer first.
        let mut spans: Vec<&Span> = record
            .spans()
            .iter()
            .filter(|span| self.only.as_ref().is_none_or(|only| only.contains(span.label.as_str())))
            .collect();
        spans.sort_by_key(|span| (span.start, Reverse(span.end), span.label.as_str()));
        let mut open: Vec<(&Span, Style)> = Vec::new();
        let mut crossing: Vec<&Span> = Vec::new();
        let mut at = 0;
        for span in spans {
            while let Some(&(top, _)) = open.last() {
                if top.end > span.start {
                    break;
                }
                self.text(cut(text, at, top.end), open.last().map(|(_, style)| *style), out);
                at = top.end;
                self.close(&mut open, out);
            }
            if open.last().is_some_and(|(top, _)| span.end > top.end) {
                crossing.push(span);
                continue;
            }
            self.text(cut(text, at, span.start), open.last().map(|(_, style)| *style), out);
            at = span.start;
            self.open(span, &mut open, out);
        }
        while let Some(&(top, style)) = open.last() {
            self.text(cut(text, at, top.end), Some(style), out);
            at = top.end;
            self.close(&mut open, out);
        }
        self.text(cut(text, at, text.len()), None, out);
        if !text.ends_with('\n') {
            out.push(b'\n');
        }
        if !crossing.is_empty() {
            let chars = OffsetMap::new(text, OffsetUnit::Char);
            out.extend_from_slice(b"crossing the spans above, so not marked in the text:\n");
            for span in crossing {
                out.extend_from_slice(b"  ");
                let mut open = Vec::new();
                let style = self.open(span, &mut open, out);
                self.text(cut(text, span.start, span.end), Some(style), out);
                self.close(&mut open, out);
                // Offsets in code points, as records give them by default.
                let offset = |byte| chars.to_unit(byte).map_or(byte, |unit| unit);
                out.extend_from_slice(
                    format!(" at {}..{}\n", offset(span.start), offset(span.end)).as_bytes(),
                );
            }
        }
        out.push(b'\n');
    }

    /// Starts `span` inside the ones open (its colour, or `[`); returns its style.
    fn open<'s>(
        &mut self,
        span: &'s Span,
        open: &mut Vec<(&'s Span, Style)>,
        out: &mut Vec<u8>,
    ) -> Style {
        let style = self.colour_of(&span.label);
        if self.colour {
            out.extend_from_slice(style.render().to_string().as_bytes());
        } else {
            out.push(b'[');
        }
        open.push((span, style));
        style
    }

    /// Ends the innermost open span: its label tag, then the enclosing span's
    /// colour again (or none).
    fn close(&self, open: &mut Vec<(&Span, Style)>, out: &mut Vec<u8>) {
        let Some((span, style)) = open.pop() else { return };
        let label = rubric_exporter::escape_controls(&span.label);
        if self.colour {
            let tag = style.bold();
            out.extend_from_slice(
                format!("{} {label}{}", tag.render(), tag.render_reset()).as_bytes(),
            );
            if let Some((_, outer)) = open.last() {
                out.extend_from_slice(outer.render().to_string().as_bytes());
            }
        } else {
            out.extend_from_slice(format!("]({label})").as_bytes());
        }
    }

    /// Appends text from the document in `style` (the innermost open span's):
    /// line breaks and tabs as they are, any other terminal control character
    /// escaped (`\u{1b}`), so a document cannot move the cursor, change colours or
    /// retitle the window. In colour, a line break is taken out of the colour so
    /// that the highlight does not run to the edge of the terminal.
    fn text(&self, text: &str, style: Option<Style>, out: &mut Vec<u8>) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' => match style.filter(|_| self.colour) {
                    Some(style) => out.extend_from_slice(
                        format!("{}\n{}", style.render_reset(), style.render()).as_bytes(),
                    ),
                    None => out.push(b'\n'),
                },
                '\t' => out.push(b'\t'),
                // A Windows line end stays one; a lone carriage return would
                // overwrite the line on a terminal.
                '\r' if chars.peek() == Some(&'\n') => out.push(b'\r'),
                c if is_terminal_control(c) => {
                    out.extend_from_slice(c.escape_unicode().to_string().as_bytes())
                }
                c => {
                    let mut buffer = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rubric_exporter::SpanInput;
    use rubric_tokenizer::Tokenizer;

    use super::*;

    fn record(text: &str, spans: &[(&str, usize, &str)]) -> Record {
        let spans = spans
            .iter()
            .map(|(needle, nth, label)| {
                let start = text.match_indices(needle).nth(*nth).map(|(i, _)| i).unwrap_or(0);
                SpanInput::new(start, start + needle.len(), *label)
            })
            .collect();
        Record::tokenize("doc", text, &Tokenizer::new(), spans).expect("a valid record")
    }

    fn plain(record: &Record, only: Option<&[&str]>) -> String {
        let only = only.map(|labels| labels.iter().map(|l| l.to_string()).collect());
        let mut out = Vec::new();
        View::new(false, only, &[]).render(record, &mut out);
        String::from_utf8(out).expect("UTF-8")
    }

    macro_rules! plain_cases {
        ($($name:ident: $text:expr, [$($span:expr),*], $only:expr => $expected:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(plain(&record($text, &[$($span),*]), $only), $expected);
            }
        )*};
    }

    plain_cases! {
        plain_marks_each_span_with_its_label:
            "Joe Biden flew to Baghdad.", [("Joe Biden", 0, "PERSON"), ("Baghdad", 0, "GPE")], None
            => "# doc\n[Joe Biden](PERSON) flew to [Baghdad](GPE).\n\n";
        plain_without_spans_is_the_text:
            "Nothing here.\n", [], None => "# doc\nNothing here.\n\n";
        plain_nests_a_span_inside_another:
            "the Biden administration said", [("Biden administration", 0, "ORG"), ("Biden", 0, "PERSON")], None
            => "# doc\nthe [[Biden](PERSON) administration](ORG) said\n\n";
        plain_nests_two_labels_on_the_same_words:
            "Washington said", [("Washington", 0, "GPE"), ("Washington", 0, "PERSON")], None
            => "# doc\n[[Washington](PERSON)](GPE) said\n\n";
        plain_lists_a_crossing_span_after_the_text:
            "New York City Hall", [("New York City", 0, "GPE"), ("City Hall", 0, "FAC")], None
            => "# doc\n[New York City](GPE) Hall\ncrossing the spans above, so not marked in the text:\n  [City Hall](FAC) at 9..18\n\n";
        plain_filters_by_label:
            "Joe Biden flew to Baghdad.", [("Joe Biden", 0, "PERSON"), ("Baghdad", 0, "GPE")], Some(&["GPE"])
            => "# doc\nJoe Biden flew to [Baghdad](GPE).\n\n";
        plain_adjacent_spans_close_before_the_next_opens:
            "Iraq-Iran", [("Iraq", 0, "GPE"), ("Iran", 0, "GPE")], None
            => "# doc\n[Iraq](GPE)-[Iran](GPE)\n\n";
        plain_escapes_terminal_controls_but_keeps_line_breaks_and_tabs:
            "a\u{1b}]0;pwned\u{7}\tb\r\nc\rd \u{202e}Iraq", [("Iraq", 0, "GPE")], None
            => "# doc\na\\u{1b}]0;pwned\\u{7}\tb\r\nc\\u{d}d \\u{202e}[Iraq](GPE)\n\n";
        plain_crossing_offsets_are_code_points:
            "🦀 Zoë Müller Straße", [("Zoë Müller", 0, "PERSON"), ("Müller Straße", 0, "FAC")], None
            => "# doc\n🦀 [Zoë Müller](PERSON) Straße\ncrossing the spans above, so not marked in the text:\n  [Müller Straße](FAC) at 6..19\n\n";
    }

    #[test]
    fn colour_gives_each_label_its_own_background_and_a_bold_tag() {
        let record = record(
            "Joe Biden flew to Baghdad with Joe Biden.",
            &[("Joe Biden", 0, "PERSON"), ("Baghdad", 0, "GPE"), ("Joe Biden", 1, "PERSON")],
        );
        let mut out = Vec::new();
        View::new(true, None, &["GPE".into(), "PERSON".into()]).render(&record, &mut out);
        let out = String::from_utf8(out).expect("UTF-8");
        // GPE was given first: bright yellow (103); PERSON bright cyan (106); black
        // text (30) on both.
        let gpe = "\u{1b}[30m\u{1b}[103m";
        let person = "\u{1b}[30m\u{1b}[106m";
        assert_eq!(
            out,
            format!(
                "\u{1b}[1m# doc\u{1b}[0m\n\
                 {person}Joe Biden\u{1b}[1m\u{1b}[30m\u{1b}[106m PERSON\u{1b}[0m flew to \
                 {gpe}Baghdad\u{1b}[1m\u{1b}[30m\u{1b}[103m GPE\u{1b}[0m with \
                 {person}Joe Biden\u{1b}[1m\u{1b}[30m\u{1b}[106m PERSON\u{1b}[0m.\n\n"
            )
        );
    }

    #[test]
    fn colour_takes_line_breaks_out_of_the_highlight_and_reopens_the_outer_span() {
        let record = record(
            "the Biden\nadministration",
            &[("the Biden\nadministration", 0, "ORG"), ("Biden", 0, "PERSON")],
        );
        let mut out = Vec::new();
        View::new(true, None, &[]).render(&record, &mut out);
        let out = String::from_utf8(out).expect("UTF-8");
        let org = "\u{1b}[30m\u{1b}[103m";
        let person = "\u{1b}[30m\u{1b}[106m";
        let body = out.split_once('\n').map(|(_, body)| body).expect("a header line");
        assert_eq!(
            body,
            format!(
                "{org}the {person}Biden\u{1b}[1m{person} PERSON\u{1b}[0m{org}\u{1b}[0m\n{org}\
                 administration\u{1b}[1m{org} ORG\u{1b}[0m\n\n"
            )
        );
    }
}
