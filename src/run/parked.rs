//! Where the keys kept for late replays wait: their requests and first answers, about a
//! kilobyte each, up to a dozen per contract. A suite of a few hundred contracts keeps them in
//! memory; past [`IN_MEMORY`] bytes for the run, the rest are written to a private temporary
//! file and read back when their late replay is sent, so that a run over 10,000 contracts does
//! not hold 120,000 requests and answers (about 140 MB) for its whole length.
//!
//! The file is the operating system's unnamed temporary file in `TMPDIR` (created readable by
//! its owner only, and gone when the run ends, however it ends); the room of keys the sample
//! lets go is written again, so it stays the size of what is still kept (78 MB at 10,000
//! contracts). Where `/tmp` is a tmpfs it is memory all the same: `TMPDIR` names a disk. It holds what the run sent and was
//! answered, never what the target adds at sending: signatures and the run's `--header` values
//! are not part of a kept request.

use std::collections::BTreeMap;
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
    /// The request's secret values (its signature) that the answer quotes: a late replay's
    /// output must keep them out too. Empty, as it nearly always is, when it quotes none.
    pub echoed: Box<[Box<str>]>,
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
            + self.echoed.iter().map(|e| e.len()).sum::<usize>()
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
    /// Room left by released payloads, by size: a payload is written into the smallest that
    /// holds it, so the file stays about the size of what is still parked.
    free: BTreeMap<u32, Vec<u64>>,
}

impl Spill {
    /// Where `len` bytes go: released room that holds them (what it has over goes back), or
    /// the end of the file.
    fn room(&mut self, len: u32) -> u64 {
        let Some((&size, offsets)) = self.free.range_mut(len..).next() else {
            let offset = self.end;
            self.end += u64::from(len);
            return offset;
        };
        let offset = offsets.pop().expect("no empty list is kept");
        if offsets.is_empty() {
            self.free.remove(&size);
        }
        if size > len {
            self.free
                .entry(size - len)
                .or_default()
                .push(offset + u64::from(len));
        }
        offset
    }
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
                free: BTreeMap::new(),
            });
        }
        let spill = file.as_mut().expect("made above");
        let offset = spill.room(len);
        let written = spill.file.seek(SeekFrom::Start(offset));
        if let Err(err) = written.and_then(|_| spill.file.write_all(&bytes)) {
            spill.free.entry(len).or_default().push(offset);
            return Err(err);
        }
        Ok(Parked::Written { offset, len })
    }

    /// Gives back the room of a payload no longer needed.
    pub(crate) fn release(&self, parked: Parked) {
        match parked {
            Parked::Held(payload) => {
                let size = payload.size();
                let _ = (self.held).fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                    Some(held.saturating_sub(size))
                });
            }
            Parked::Written { offset, len } => {
                let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(spill) = file.as_mut() {
                    spill.free.entry(len).or_default().push(offset);
                }
            }
        }
    }

    /// The bytes the file has grown to (0 before anything was written to it).
    #[cfg(test)]
    fn file_size(&self) -> u64 {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.as_ref().map_or(0, |spill| spill.end)
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
    put(&(payload.echoed.len() as u32).to_le_bytes());
    for echoed in &payload.echoed {
        put(echoed.as_bytes());
    }
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
    let count = u32::from_le_bytes(reader.part()?.try_into().map_err(std::io::Error::other)?);
    let echoed = (0..count)
        .map(|_| text(reader.part()?))
        .collect::<std::io::Result<Box<[Box<str>]>>>()?;
    let body = reader.optional()?.map(Bytes::copy_from_slice);
    Ok(Payload {
        case,
        key,
        method,
        path,
        headers: headers.into(),
        body,
        answer,
        echoed,
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
            // Some quote a secret of their request, which must come back too.
            echoed: match n % 4 {
                0 => vec![format!("sig-{n}").into()].into(),
                _ => Box::default(),
            },
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
    fn released_room_is_written_again_so_the_file_stays_the_size_of_what_is_kept() {
        let parking = Parking::new(0);
        let mut kept: Vec<(Parked, Payload)> = Vec::new();
        for n in 0..1000 {
            let payload = payload(n, Some("{\"userId\":\"u\"}"));
            kept.push((parking.park(payload.clone()), payload));
            if kept.len() > 8 {
                // Every other one goes, as the spread sample does.
                let all = std::mem::take(&mut kept);
                for (i, (parked, payload)) in all.into_iter().enumerate() {
                    if i % 2 == 0 {
                        kept.push((parked, payload));
                    } else {
                        parking.release(parked);
                    }
                }
            }
        }
        let one = encode(&payload(999, Some("{\"userId\":\"u\"}"))).len() as u64;
        // 1000 written, at most 9 kept at once: the file holds a few dozen at most.
        let size = parking.file_size();
        assert!(size < 40 * one, "{size} bytes, {one} each");
        for (parked, payload) in &kept {
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
