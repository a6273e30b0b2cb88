//! Ordered parallel processing of a document stream: the engine under `annotate`,
//! `tokenize` and `convert`.
//!
//! Documents are read on the calling thread (standard input's lock cannot leave
//! it) in batches; each batch is processed on a rayon pool while the next one is
//! read, and results are handed to the sink strictly in input order. At most two
//! batches are in flight, so memory stays flat however long the input is.

use std::collections::VecDeque;
use std::sync::mpsc;

use rayon::prelude::*;

use crate::error::Error;
use crate::input::Document;

/// How much a batch may hold before it is sent to the pool: enough documents to
/// keep every thread busy, few enough bytes to keep memory flat. A record with
/// its tokens is ~14 times its text, so 1 MB of text is ~14 MB of output per
/// batch; larger batches only cost memory and page faults (78 MB peak RSS and
/// 2.4 times the page faults with 8 MB batches, on 5 MB of news).
const BATCH_DOCUMENTS: usize = 128;
const BATCH_BYTES: usize = 1 << 20;

/// One item of the stream, in input order: a document with what the work made of
/// it, or an error reading it.
pub type Outcome<T> = Result<(Document, Result<T, Error>), Error>;

/// Runs `work` on every document of `documents` on `threads` threads and calls
/// `sink` with each outcome in input order. Stops at the first error `sink`
/// returns (a sink that keeps going simply does not return one).
pub fn run<I, T, W, S>(documents: I, threads: usize, work: W, mut sink: S) -> Result<(), Error>
where
    I: Iterator<Item = Result<Document, Error>>,
    T: Send,
    W: Fn(&Document) -> Result<T, Error> + Sync,
    S: FnMut(Outcome<T>) -> Result<(), Error>,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("rubric-worker-{i}"))
        .build()
        .map_err(|err| Error::usage(threads_failed(threads, &err.to_string())))?;
    let mut documents = documents.peekable();
    let work = &work;
    pool.in_place_scope(|scope| {
        let mut in_flight: VecDeque<mpsc::Receiver<Vec<Outcome<T>>>> = VecDeque::new();
        loop {
            let batch = next_batch(&mut documents);
            let done = batch.is_empty();
            if !done {
                let (sender, receiver) = mpsc::channel();
                scope.spawn(move |_| {
                    let outcomes: Vec<Outcome<T>> = batch
                        .into_par_iter()
                        .map(|item| {
                            item.map(|document| {
                                let result = work(&document);
                                (document, result)
                            })
                        })
                        .collect();
                    // The receiver is gone only if the sink failed; nothing to do then.
                    let _ = sender.send(outcomes);
                });
                in_flight.push_back(receiver);
            }
            // Keep one batch working while the next is read; drain everything at the end.
            while in_flight.len() > usize::from(!done) {
                let Some(receiver) = in_flight.pop_front() else { break };
                let outcomes = receiver
                    .recv()
                    .map_err(|_| Error::internal("a worker thread stopped without a result"))?;
                for outcome in outcomes {
                    sink(outcome)?;
                }
            }
            if done {
                return Ok(());
            }
        }
    })
}

/// What to say when the worker threads cannot be started (the system's limit on
/// threads or memory): not a bug, and the user can ask for fewer.
fn threads_failed(threads: usize, why: &str) -> String {
    format!(
        "--threads {threads}: cannot start {threads} worker threads ({why}) — the system's \
         limit on threads or memory is reached; pass a smaller --threads"
    )
}

fn next_batch<I>(documents: &mut std::iter::Peekable<I>) -> Vec<Result<Document, Error>>
where
    I: Iterator<Item = Result<Document, Error>>,
{
    let mut batch = Vec::new();
    let mut bytes = 0;
    while batch.len() < BATCH_DOCUMENTS && bytes < BATCH_BYTES {
        let Some(item) = documents.next() else { break };
        bytes += item.as_ref().map_or(0, |d| d.text.len());
        batch.push(item);
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    fn documents(n: usize) -> impl Iterator<Item = Result<Document, Error>> {
        (0..n).map(|i| {
            Ok(Document {
                id: i.to_string(),
                text: "x".repeat(i % 7),
                location: Location::line("test", i as u64 + 1),
                meta: serde_json::Map::new(),
                exact_meta: rubric_exporter::ExactFields::new(),
                input_bytes: 0,
            })
        })
    }

    #[test]
    fn outcomes_arrive_in_input_order_on_many_threads() {
        let mut seen = Vec::new();
        run(
            documents(5000),
            4,
            |d| Ok(d.text.len()),
            |outcome| {
                let (document, len) = outcome?;
                seen.push((document.id, len?));
                Ok(())
            },
        )
        .unwrap();
        let expected: Vec<(String, usize)> = (0..5000).map(|i| (i.to_string(), i % 7)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn the_first_sink_error_stops_the_run() {
        let mut count = 0;
        let result = run(
            documents(5000),
            2,
            |_| Ok(()),
            |_| {
                count += 1;
                if count == 10 {
                    return Err(Error::internal("stop"));
                }
                Ok(())
            },
        );
        assert!(result.is_err());
        assert_eq!(count, 10);
    }
}
