//! Ordered parallel processing of a document stream: the engine under `annotate`,
//! `tokenize` and `convert`.
//!
//! Documents are read on the calling thread (standard input's lock cannot leave
//! it) in batches; each batch is processed on a rayon pool while the next one is
//! read, and results are handed to the sink strictly in input order. At most two
//! batches are in flight and one is being written, so memory stays flat however
//! long the input is.

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

/// How many batches the pool may hold at once (besides the one being written).
const IN_FLIGHT: usize = 2;

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
        // Reads the next batch and sends it to the pool; false at the end of the input.
        let mut spawn_next = |in_flight: &mut VecDeque<_>| {
            let batch = next_batch(&mut documents);
            if batch.is_empty() {
                return false;
            }
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
            true
        };
        let mut input_done = false;
        loop {
            while !input_done && in_flight.len() < IN_FLIGHT {
                input_done = !spawn_next(&mut in_flight);
            }
            let Some(receiver) = in_flight.pop_front() else { return Ok(()) };
            let outcomes = receiver
                .recv()
                .map_err(|_| Error::internal("a worker thread stopped without a result"))?;
            // Refill the pool before handing the batch over. The workers often
            // finish both batches close together (one that runs out of work in a
            // batch takes the next), and writing a batch of full records takes
            // longer than reading one: waiting for the write left them idle.
            // With the refill, two cores are 1.81x one instead of 1.75x
            // (bench/README.md).
            if !input_done {
                input_done = !spawn_next(&mut in_flight);
            }
            for outcome in outcomes {
                sink(outcome)?;
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

    /// However slow the sink, the reader never runs more than the batches in
    /// flight plus the one being written ahead of it: memory stays flat.
    #[test]
    fn reading_runs_at_most_the_batches_in_flight_ahead_of_the_sink() {
        let read = std::cell::Cell::new(0usize);
        let counted = documents(5000).inspect(|_| read.set(read.get() + 1));
        let mut written = 0usize;
        let mut furthest_ahead = 0usize;
        run(
            counted,
            2,
            |_| Ok(()),
            |outcome| {
                let (_, result) = outcome?;
                result?;
                written += 1;
                furthest_ahead = furthest_ahead.max(read.get() - written);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(written, 5000);
        assert!(
            furthest_ahead <= (IN_FLIGHT + 1) * BATCH_DOCUMENTS,
            "read {furthest_ahead} documents ahead of the sink"
        );
        // The refill before writing: the batch after next is read before the
        // first document is written, and never more.
        assert!(furthest_ahead >= IN_FLIGHT * BATCH_DOCUMENTS, "{furthest_ahead}");
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
