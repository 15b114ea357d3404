//! The one way conform writes a file a person keeps (reports, snapshots, baselines): into a
//! temporary file beside the destination, flushed to disk, then renamed over it. A reader never
//! sees half a file, an interrupted run leaves the previous file intact, and every file gets the
//! permissions any other file the user writes gets (0666 less the umask, usually 0644), not the
//! private 0600 of temporary files.
//!
//! Only a regular file is replaced that way. A destination that is something else (`/dev/null`,
//! `/dev/stdout`, a named pipe) is written into: renaming over it would replace the device
//! itself, for every program on the machine when conform runs as root. What goes there waits in
//! an anonymous temporary file until the commit, so it comes out whole after the run, and a pipe
//! with no reader yet holds nothing up. A symbolic link to a regular file keeps being a link: the
//! file it points to is the one replaced.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written; it appears at its destination only on [`AtomicFile::commit`], and
/// the temporary file is removed if it is dropped uncommitted.
pub(crate) struct AtomicFile {
    destination: PathBuf,
    sink: Sink,
}

/// Where the bytes go until the commit.
enum Sink {
    /// A temporary file, renamed over `into` (the destination, or the file a link to it names).
    Temporary {
        file: BufWriter<NamedTempFile>,
        into: PathBuf,
    },
    /// An anonymous file, copied into the destination on commit, when the destination is not a
    /// regular file (a device, a pipe).
    Direct {
        file: BufWriter<File>,
        into: PathBuf,
    },
}

impl AtomicFile {
    /// A temporary file in the destination's folder (made if missing), so the final rename
    /// stays on one file system; the destination itself when it is not a regular file. Errors
    /// name the destination.
    pub(crate) fn beside(destination: &Path) -> io::Result<Self> {
        let sink = sink_for(destination).map_err(|e| located(destination, e))?;
        Ok(AtomicFile {
            destination: destination.to_path_buf(),
            sink,
        })
    }

    /// An anonymous file, removed by the OS when dropped, for parts of the file written before
    /// the part that heads them: in the destination's folder, so they count against the same
    /// disk; in the system's temporary folder when the destination is not a regular file.
    pub(crate) fn scratch(&self) -> io::Result<File> {
        let scratch = match &self.sink {
            Sink::Temporary { into, .. } => tempfile::tempfile_in(folder_of(into)),
            Sink::Direct { .. } => tempfile::tempfile(),
        };
        scratch.map_err(|e| located(&self.destination, e))
    }

    /// Flushes, syncs to disk and renames the file over its destination; for a destination that
    /// is not a regular file, copies what was written into it.
    pub(crate) fn commit(self) -> io::Result<()> {
        let destination = self.destination;
        let (file, into) = match self.sink {
            Sink::Temporary { file, into } => (file, into),
            Sink::Direct { file, into } => {
                return copy_into(file, &into).map_err(|e| located(&destination, e));
            }
        };
        let temp = file
            .into_inner()
            .map_err(|e| located(&destination, e.into_error()))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| located(&destination, e))?;
        temp.persist(&into)
            .map_err(|e| located(&destination, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Temporary { file, .. } => file.write(buf),
            Sink::Direct { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Temporary { file, .. } => file.flush(),
            Sink::Direct { file, .. } => file.flush(),
        }
    }
}

/// Writes `bytes` to `destination` atomically.
pub(crate) fn write(destination: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::beside(destination)?;
    file.write_all(bytes).map_err(|e| located(destination, e))?;
    file.commit()
}

/// The folder a file at `destination` lives in (`.` for a bare file name).
pub(crate) fn folder_of(destination: &Path) -> &Path {
    match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Copies what `file` holds into `destination`, opened for writing only now, at its end: what
/// a redirected standard output already holds stays.
fn copy_into(file: BufWriter<File>, destination: &Path) -> io::Result<()> {
    let mut file = file.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(0))?;
    let mut out = std::fs::OpenOptions::new().append(true).open(destination)?;
    io::copy(&mut file, &mut out)?;
    out.flush()
}

/// How a file at `destination` is written: see the module documentation.
fn sink_for(destination: &Path) -> io::Result<Sink> {
    let direct = || -> io::Result<Sink> {
        Ok(Sink::Direct {
            file: BufWriter::new(tempfile::tempfile()?),
            into: destination.to_path_buf(),
        })
    };
    // `/dev/stdout` may name a regular file (standard output redirected to one): it is still
    // a stream to write into, never a file to replace.
    if destination.starts_with("/dev") || destination.starts_with("/proc") {
        return direct();
    }
    match std::fs::metadata(destination) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => direct(),
        Ok(_) if destination.is_symlink() => {
            let into = std::fs::canonicalize(destination)?;
            let file = BufWriter::new(temporary_beside(&into)?);
            Ok(Sink::Temporary { file, into })
        }
        _ => {
            let file = BufWriter::new(temporary_beside(destination)?);
            let into = destination.to_path_buf();
            Ok(Sink::Temporary { file, into })
        }
    }
}

fn temporary_beside(destination: &Path) -> io::Result<NamedTempFile> {
    if destination.as_os_str().is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no file name given",
        ));
    }
    let dir = folder_of(destination);
    std::fs::create_dir_all(dir).map_err(|err| not_a_folder(dir).unwrap_or(err))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".conform-").suffix(".tmp");
    // tempfile makes private files (0600); the mode given here is filtered by the umask, as
    // for any file the user creates.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir)
}

/// The error to give when a folder on the way to `dir` is a file: `afile is a file, not a folder`
/// rather than the system's `File exists`.
fn not_a_folder(dir: &Path) -> Option<io::Error> {
    let file = dir.ancestors().find(|at| at.is_file())?;
    let message = format!("{} is a file, not a folder", file.display());
    Some(io::Error::new(io::ErrorKind::NotADirectory, message))
}

/// An error that says which file it is about, once.
fn located(destination: &Path, error: io::Error) -> io::Error {
    let shown = destination.display().to_string();
    if error.to_string().starts_with(&shown) {
        return error;
    }
    io::Error::new(error.kind(), format!("{shown}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn file_appears_whole_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let destination = dir.path().join("out/r.txt");
        let mut file = AtomicFile::beside(&destination).unwrap();
        file.write_all(b"done").unwrap();
        assert!(!destination.exists());
        file.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&destination).unwrap(), "done");
        assert_eq!(
            entries(&dir.path().join("out")),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn a_file_dropped_uncommitted_leaves_the_old_one_and_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let destination = dir.path().join("r.txt");
        write(&destination, b"old").unwrap();
        let mut file = AtomicFile::beside(&destination).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert_eq!(std::fs::read_to_string(&destination).unwrap(), "old");
        assert_eq!(entries(dir.path()), 1);
    }

    #[cfg(unix)]
    #[test]
    fn files_get_ordinary_permissions_filtered_by_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let destination = dir.path().join("a/b.snap");
        write(&destination, b"x").unwrap();
        let mode = std::fs::metadata(&destination)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        // Setting the umask here would race other tests; compare with a file made the
        // ordinary way instead (the CLI tests pin the umask and expect 0644).
        let ordinary = dir.path().join("ordinary");
        std::fs::write(&ordinary, b"x").unwrap();
        let expected = std::fs::metadata(&ordinary).unwrap().permissions().mode() & 0o777;
        assert_eq!(format!("{mode:o}"), format!("{expected:o}"));
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_written_into_and_stays_a_pipe() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("report.pipe");
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        assert!(made.unwrap().success(), "mkfifo");
        // Everything up to the commit goes on with no reader yet: a pipe holds nothing up.
        let mut file = AtomicFile::beside(&pipe).unwrap();
        file.write_all(b"the report").unwrap();
        let spool = file.scratch().unwrap();
        let reader = {
            let pipe = pipe.clone();
            std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
        };
        file.commit().unwrap();
        // Checked before joining: a reader of a pipe renamed away would wait forever.
        let kind = std::fs::symlink_metadata(&pipe).unwrap().file_type();
        assert!(kind.is_fifo(), "still a pipe, not a file renamed over it");
        assert_eq!(reader.join().unwrap(), "the report");
        assert_eq!(entries(dir.path()), 1, "nothing left beside it");
        drop(spool);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_a_file_stays_a_link_and_the_file_it_names_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (real, link) = (dir.path().join("real.json"), dir.path().join("link.json"));
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(link.is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(entries(dir.path()), 2);
    }

    #[test]
    fn errors_name_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let under_a_file = blocker.join("r.md");
        let message = write(&under_a_file, b"x").unwrap_err().to_string();
        assert!(
            message.starts_with(&under_a_file.display().to_string()),
            "{message}"
        );
        assert!(
            message.ends_with(&format!("{} is a file, not a folder", blocker.display())),
            "{message}"
        );
        let message = write(Path::new(""), b"x").unwrap_err().to_string();
        assert!(message.contains("no file name given"), "{message}");
    }
}
