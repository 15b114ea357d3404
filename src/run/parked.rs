//! Where the keys kept for late replays wait: their requests and first answers, about a
//! kilobyte each, up to a dozen per contract. A suite of a few hundred contracts keeps them in
//! memory; past [`IN_MEMORY`] bytes for the run, the rest are written to a private temporary
//! file and read back when their late replay is sent, so that a run over 10,000 contracts does
//! not hold 120,000 requests and answers (about 140 MB) for its whole length.
//!
//! The file is the operating system's unnamed temporary file (created readable by its owner
//! only, and gone when the run ends, however it ends). It holds what the run sent and was
//! answered, never what the target adds at sending: signatures and the run's `--header` values
//! are not part of a kept request.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};

/// Bytes of kept requests and answers held in memory for the whole run, before the rest go to
/// the temporary file: every key of a few hundred contracts.
pub(crate) const IN_MEMORY: usize = 8 << 20;

/// What a late replay needs of a kept key besides its numbers: the request to send again and
/// the first answer's body to compare with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payload {
    /// The case that first sent the key.
    pub case: Box<str>,
    pub key: Box<str>,
    pub method: Method,
    pub path: Box<str>,
    pub headers: Box<[(HeaderName, HeaderValue)]>,
    pub body: Option<Bytes>,
    pub answer: Box<[u8]>,
}

impl Payload {
    fn size(&self) -> usize {
        let headers: usize = (self.headers.iter())
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        self.case.len()
            + self.key.len()
            + self.path.len()
            + headers
            + self.body.as_ref().map_or(0, Bytes::len)
            + self.answer.len()
    }
}

/// A payload, in memory or at a place in the file.
#[derive(Debug)]
pub(crate) enum Parked {
    Held(Box<Payload>),
    Written { offset: u64, len: u32 },
}

/// The run's parking place: a memory budget, then the file, made when first needed.
#[derive(Debug)]
pub(crate) struct Parking {
    budget: usize,
    held: AtomicUsize,
    file: Mutex<Option<Spill>>,
}

#[derive(Debug)]
struct Spill {
    file: File,
    end: u64,
}

impl Parking {
    /// Parks up to `budget` bytes in memory, the rest in the file.
    pub(crate) fn new(budget: usize) -> Self {
        Parking {
            budget,
            held: AtomicUsize::new(0),
            file: Mutex::new(None),
        }
    }

    /// Parks `payload`: in memory while the budget lasts, else in the file (and in memory
    /// still if the file cannot be written: a key kept is never lost).
    pub(crate) fn park(&self, payload: Payload) -> Parked {
        let size = payload.size();
        if self.held.load(Ordering::Relaxed) + size > self.budget
            && let Ok(parked) = self.write(&payload)
        {
            return parked;
        }
        self.held.fetch_add(size, Ordering::Relaxed);
        Parked::Held(Box::new(payload))
    }

    /// The payload parked at `parked`.
    pub(crate) fn payload(&self, parked: &Parked) -> std::io::Result<Payload> {
        match parked {
            Parked::Held(payload) => Ok((**payload).clone()),
            Parked::Written { offset, len } => {
                let mut bytes = vec![0; *len as usize];
                let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
                let spill = file
                    .as_mut()
                    .ok_or_else(|| std::io::Error::other("no file"))?;
                spill.file.seek(SeekFrom::Start(*offset))?;
                spill.file.read_exact(&mut bytes)?;
                decode(&bytes)
            }
        }
    }

    fn write(&self, payload: &Payload) -> std::io::Result<Parked> {
        let bytes = encode(payload);
        let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if file.is_none() {
            *file = Some(Spill {
                file: tempfile::tempfile()?,
                end: 0,
            });
        }
        let spill = file.as_mut().expect("made above");
        spill.file.seek(SeekFrom::Start(spill.end))?;
        spill.file.write_all(&bytes)?;
        let offset = spill.end;
        spill.end += u64::from(len);
        Ok(Parked::Written { offset, len })
    }
}

/// Each part as a length (4 bytes, little-endian) and its bytes; the body's length is
/// `u32::MAX` when there is none.
fn encode(payload: &Payload) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.size() + 8 * (4 + payload.headers.len()));
    let mut put = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    put(payload.case.as_bytes());
    put(payload.key.as_bytes());
    put(payload.method.as_str().as_bytes());
    put(payload.path.as_bytes());
    put(&(payload.headers.len() as u32).to_le_bytes());
    for (name, value) in &payload.headers {
        put(name.as_str().as_bytes());
        put(value.as_bytes());
    }
    put(&payload.answer);
    match &payload.body {
        Some(body) => put(body),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
    out
}

fn decode(bytes: &[u8]) -> std::io::Result<Payload> {
    let mut reader = Reader { bytes };
    let text = |part: &[u8]| -> std::io::Result<Box<str>> {
        Ok(std::str::from_utf8(part)
            .map_err(std::io::Error::other)?
            .into())
    };
    let case = text(reader.part()?)?;
    let key = text(reader.part()?)?;
    let method = Method::from_bytes(reader.part()?).map_err(std::io::Error::other)?;
    let path = text(reader.part()?)?;
    let count = u32::from_le_bytes(reader.part()?.try_into().map_err(std::io::Error::other)?);
    let mut headers = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let name = HeaderName::from_bytes(reader.part()?).map_err(std::io::Error::other)?;
        let value = HeaderValue::from_bytes(reader.part()?).map_err(std::io::Error::other)?;
        headers.push((name, value));
    }
    let answer = reader.part()?.into();
    let body = reader.optional()?.map(Bytes::copy_from_slice);
    Ok(Payload {
        case,
        key,
        method,
        path,
        headers: headers.into(),
        body,
        answer,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn part(&mut self) -> std::io::Result<&'a [u8]> {
        self.optional()?
            .ok_or_else(|| std::io::Error::other("a part is missing"))
    }

    fn optional(&mut self) -> std::io::Result<Option<&'a [u8]>> {
        let short = || std::io::Error::other("the parked key is cut short");
        let (len, rest) = self.bytes.split_first_chunk::<4>().ok_or_else(short)?;
        let len = u32::from_le_bytes(*len);
        if len == u32::MAX {
            self.bytes = rest;
            return Ok(None);
        }
        let (part, rest) = rest.split_at_checked(len as usize).ok_or_else(short)?;
        self.bytes = rest;
        Ok(Some(part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(n: usize, body: Option<&str>) -> Payload {
        Payload {
            case: format!("issueCard/boundary/{n}").into(),
            key: format!("key-{n}").into(),
            method: Method::POST,
            path: format!("/v2/cards?n={n}").into(),
            headers: vec![
                (
                    HeaderName::from_static("content-type"),
                    HeaderValue::from_static("application/json; charset=UTF-8"),
                ),
                (
                    HeaderName::from_static("idempotency-key"),
                    HeaderValue::from_str(&format!("key-{n}")).unwrap(),
                ),
            ]
            .into(),
            body: body.map(|b| Bytes::copy_from_slice(b.as_bytes())),
            answer: format!("{{\"cardNo\":\"{n}\"}}").into_bytes().into(),
        }
    }

    #[test]
    fn past_the_budget_payloads_go_to_the_file_and_come_back_unchanged() {
        let parking = Parking::new(200);
        let payloads: Vec<Payload> = (0..50)
            .map(|n| payload(n, (n % 3 != 0).then_some("{\"userId\":\"u\"}")))
            .collect();
        let parked: Vec<Parked> = payloads.iter().map(|p| parking.park(p.clone())).collect();
        assert!(
            matches!(parked[0], Parked::Held(_)),
            "the first fit in memory"
        );
        let written = parked
            .iter()
            .filter(|p| matches!(p, Parked::Written { .. }));
        assert!(written.count() > 40, "the rest went to the file");
        for (parked, payload) in parked.iter().zip(&payloads).rev() {
            assert_eq!(&parking.payload(parked).unwrap(), payload);
        }
    }

    #[test]
    fn an_empty_body_is_told_apart_from_none() {
        let parking = Parking::new(0);
        for body in [None, Some("")] {
            let parked = parking.park(payload(1, body));
            assert!(matches!(parked, Parked::Written { .. }));
            assert_eq!(
                parking.payload(&parked).unwrap().body.as_deref(),
                body.map(str::as_bytes)
            );
        }
    }

    #[test]
    fn a_cut_record_is_an_error_not_a_panic() {
        let bytes = encode(&payload(1, Some("{}")));
        for end in 0..bytes.len() {
            assert!(decode(&bytes[..end]).is_err(), "cut at {end}");
        }
    }
}
