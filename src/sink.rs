//! Sinks: where outputs go. Files are written atomically — a temporary file in the same
//! folder, synced, then renamed — so nothing is ever half-written under its final name.
//! A batch writes its bundles without a sync each ([`write_atomic_unsynced`]: the sync cost
//! as much as reading a small note) and syncs the output file system once at the end
//! ([`sync_folder`]); resuming reads an output as done only when it is whole JSON.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically. A path that is not a regular file (`/dev/null`, a
/// FIFO, `/dev/stdout`) is written to as it is: renaming over it would replace the device.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write(path, bytes, true)
}

/// As [`write_atomic`], without waiting for the bytes to reach the disk: a process killed
/// after the rename leaves the whole file (the kernel has it); only a crash of the machine can
/// lose it, which [`sync_folder`] at the end of a batch rules out for a finished run.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    write(path, bytes, false)
}

/// Flushes everything written under `dir` (its whole file system) to the disk.
pub fn sync_folder(dir: &Path) -> Result<()> {
    let err = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(dir).map_err(err)?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: syncfs on a descriptor this function owns for the duration of the call.
        if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
            return Err(err(std::io::Error::last_os_error()));
        }
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // SAFETY: sync() takes no arguments and only schedules writes.
        unsafe { libc::sync() };
    }
    drop(f);
    Ok(())
}

fn write(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(err)?;
        return f.write_all(bytes).map_err(err);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// Writes a folder of files atomically: built beside the target under a temporary name, then
/// renamed into place (a previous folder of that name is moved aside first, then removed).
pub fn write_dir_atomic(path: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let parent = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let old = parent.join(format!(".{name}.{}.old", std::process::id()));
    let result = (|| {
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir(&tmp)?;
        for (file, bytes) in files {
            let mut f = std::fs::File::create(tmp.join(file))?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        if path.exists() {
            std::fs::rename(path, &old)?;
        }
        std::fs::rename(&tmp, path)?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(err(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_leaving_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("a.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_special_file_is_written_to_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here: nothing to check
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_atomic(&fifo, b"bundle").unwrap();
        // Still the pipe (as `-o /dev/null` must leave /dev/null a device) ...
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        // ... and what was written went through it.
        assert_eq!(reader.join().unwrap(), b"bundle");
    }

    #[test]
    fn folders_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        write_dir_atomic(
            &path,
            &[
                ("A.ndjson".into(), b"1".to_vec()),
                ("B.ndjson".into(), b"2".to_vec()),
            ],
        )
        .unwrap();
        write_dir_atomic(&path, &[("A.ndjson".into(), b"3".to_vec())]).unwrap();
        assert_eq!(std::fs::read(path.join("A.ndjson")).unwrap(), b"3");
        assert!(!path.join("B.ndjson").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
