//! Reading the files a user points conform at (contracts, scenarios, API descriptions,
//! baselines, target profiles), in one place and never without bound: a path may name a
//! device or a pipe (`/dev/zero`, `/dev/stdin`) whose size no file system reports, and reading
//! it whole would take all the memory there is.

use std::io::Read;
use std::path::Path;

/// The most an input file may hold: far above any contract or API description (the largest
/// public OpenAPI documents are a few MiB), far below what would strain memory.
pub(crate) const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The bytes of `path`, refused when there are more than [`MAX_BYTES`], whatever the file is.
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("more than {MAX_BYTES} bytes, the most conform reads from one file"),
        ));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub(crate) fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_end_is_refused_once_past_the_bound() {
        let err = read(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(
            err.to_string().contains("more than 67108864 bytes"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("a.json");
        std::fs::write(&small, "{}").unwrap();
        assert_eq!(read_to_string(&small).unwrap(), "{}");
    }
}
