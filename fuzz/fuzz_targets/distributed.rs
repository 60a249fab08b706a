//! The wire format of a distributed fit (facade `homodyne::distributed`, MPI through
//! `homodyne-mpi`): what a process decodes from the bytes the other processes sent.
//!
//! Two parts, chosen by the input:
//! - the sums of a pass alone (`SumsState::from_bytes`, [`homodyne_solvers::wire`]) from
//!   raw bytes; beyond "no panic", sums that decode encode to bytes that decode to the
//!   same sums;
//! - a whole fit as rank 0 of two processes (in memory, or STREAMING), whose peer is the
//!   fuzzer: each exchange hands back rank 0's own message and the peer's, which is rank
//!   0's message echoed (a well-formed peer), echoed with a byte changed, truncated, or
//!   raw bytes. The fit must end, with a result or an error, never a panic or a hang.
#![no_main]

use std::sync::Mutex;

use arbitrary::Arbitrary;
use homodyne::distributed::Communicator;
use homodyne::prelude::*;
use homodyne::{SliceSource, StreamingOptions};
use homodyne_cli::formula::Formula;
use homodyne_fuzz as _;
use homodyne_solvers::objective::SumsState;
use libfuzzer_sys::fuzz_target;

/// What the peer sends at one exchange.
#[derive(Debug, Clone, Arbitrary)]
enum Message {
    /// Rank 0's own message.
    Echo,
    /// Rank 0's message with the byte at `at` (modulo its length) replaced.
    Flip { at: u16, byte: u8 },
    /// Rank 0's message cut to `len` bytes.
    Truncate(u16),
    /// Any bytes.
    Raw(Vec<u8>),
    /// The exchange itself fails.
    Fail,
}

#[derive(Debug, Arbitrary)]
enum Input {
    Sums(Vec<u8>),
    Fit {
        streaming: bool,
        batch: u8,
        messages: Vec<Message>,
    },
}

/// Rank 0 of two processes whose peer plays the fuzzer's messages, then fails (no fit
/// waits past the messages given).
struct Peer {
    messages: Mutex<std::vec::IntoIter<Message>>,
}

impl Communicator for Peer {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        2
    }

    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
        let next = self.messages.lock().unwrap().next();
        let peer = match next {
            None | Some(Message::Fail) => return Err("the peer is gone".to_owned()),
            Some(Message::Echo) => bytes.clone(),
            Some(Message::Flip { at, byte }) => {
                let mut peer = bytes.clone();
                if !peer.is_empty() {
                    let at = at as usize % peer.len();
                    peer[at] = byte;
                }
                peer
            }
            Some(Message::Truncate(len)) => bytes[..bytes.len().min(len as usize)].to_vec(),
            Some(Message::Raw(raw)) => raw,
        };
        Ok(vec![bytes, peer])
    }
}

fuzz_target!(|input: Input| {
    match input {
        Input::Sums(bytes) => {
            if let Ok(sums) = SumsState::from_bytes(&bytes) {
                let encoded = sums.to_bytes();
                let again = SumsState::from_bytes(&encoded).expect("encoded sums decode");
                assert_eq!(
                    again.to_bytes(),
                    encoded,
                    "decode after encode is the identity"
                );
            }
        }
        Input::Fit {
            streaming,
            batch,
            messages,
        } => {
            let names = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let model = Formula::parse("a*exp(-b*x) + c", &names(&["a", "b", "c"]), &names(&["x"]))
                .expect("the decay formula");
            let x: Vec<f64> = (0..64).map(|i| i as f64 * 0.05).collect();
            let y: Vec<f64> = x.iter().map(|x| 2.0 * (-1.3 * x).exp() + 0.4).collect();
            let peer = Peer {
                messages: Mutex::new(
                    messages
                        .into_iter()
                        .take(64)
                        .collect::<Vec<_>>()
                        .into_iter(),
                ),
            };
            let source = SliceSource::new(&x, &y, None, 1).expect("the decay data");
            let mut fit = Fit::source(&model, &source)
                .p0(&[1.0, 1.0, 0.0])
                .communicator(&peer);
            if streaming {
                fit = fit.streaming(StreamingOptions {
                    batch_size: Some(1 + batch as usize % 64),
                    ..StreamingOptions::default()
                });
            }
            let _ = fit.run();
        }
    }
});
