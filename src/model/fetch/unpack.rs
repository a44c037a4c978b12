//! Unpacking wheels (zip files): one directory of a wheel, one file of it, or a whole zip.
//!
//! Entry names are taken only through `enclosed_name`, so nothing is written outside the
//! destination; the zip reader checks each entry's CRC-32 as it is read.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;
use zip::ZipArchive;

/// Why unpacking failed: the archive (its fault), or the disk (not the archive's).
#[derive(Debug, Error)]
pub enum UnpackError {
    #[error("{0}")]
    Archive(String),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

fn open(zip: &Path) -> Result<ZipArchive<fs::File>, UnpackError> {
    let file =
        fs::File::open(zip).map_err(|e| UnpackError::Archive(format!("cannot open: {e}")))?;
    ZipArchive::new(file).map_err(|e| UnpackError::Archive(format!("not a readable zip: {e}")))
}

/// Copy entry `index` to `dest`, creating its parent directories.
fn copy_entry(
    archive: &mut ZipArchive<fs::File>,
    index: usize,
    dest: &Path,
) -> Result<(), UnpackError> {
    let write_err = |source| UnpackError::Write {
        path: dest.to_path_buf(),
        source,
    };
    let mut entry = archive
        .by_index(index)
        .map_err(|e| UnpackError::Archive(format!("entry {index}: {e}")))?;
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(write_err)?;
    }
    let mut out = fs::File::create(dest).map_err(write_err)?;
    // Read and write apart, so bad data (deflate, CRC) is the archive's fault, a full disk not.
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| UnpackError::Archive(format!("{}: {e}", dest.display())))?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n]).map_err(write_err)?;
    }
}

/// Every entry as (index, path inside the archive); directories left out.
fn entries(archive: &mut ZipArchive<fs::File>) -> Result<Vec<(usize, PathBuf)>, UnpackError> {
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| UnpackError::Archive(format!("entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .enclosed_name()
            .ok_or_else(|| UnpackError::Archive(format!("entry {i} has an unsafe path")))?;
        out.push((i, name));
    }
    Ok(out)
}

/// Copy the files under directory `member` of `zip` into `dest` (paths relative to
/// `member`). Returns how many files were copied; none is an error.
pub fn extract_dir(zip: &Path, member: &str, dest: &Path) -> Result<usize, UnpackError> {
    let mut archive = open(zip)?;
    let mut copied = 0;
    for (i, name) in entries(&mut archive)? {
        if let Ok(rel) = name.strip_prefix(member) {
            copy_entry(&mut archive, i, &dest.join(rel))?;
            copied += 1;
        }
    }
    if copied == 0 {
        return Err(UnpackError::Archive(format!("it has no {member}/")));
    }
    Ok(copied)
}

/// Copy the single file `member` of `zip` to `dest`.
pub fn extract_file(zip: &Path, member: &str, dest: &Path) -> Result<(), UnpackError> {
    let mut archive = open(zip)?;
    let found = entries(&mut archive)?
        .into_iter()
        .find(|(_, name)| name == Path::new(member));
    match found {
        Some((i, _)) => copy_entry(&mut archive, i, dest),
        None => Err(UnpackError::Archive(format!("it has no {member}"))),
    }
}

/// Unpack all of `zip` into `dest`.
pub fn extract_all(zip: &Path, dest: &Path) -> Result<(), UnpackError> {
    let mut archive = open(zip)?;
    for (i, name) in entries(&mut archive)? {
        copy_entry(&mut archive, i, &dest.join(name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(path: &Path, files: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(fs::File::create(path).unwrap());
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn extracts_one_directory_one_file_or_everything() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("w.whl");
        zip_of(
            &z,
            &[
                ("pkg/model/a.bin", b"aaa"),
                ("pkg/model/sub/b.json", b"{}"),
                ("pkg/__init__.py", b""),
            ],
        );
        let out = dir.path().join("out");
        assert_eq!(extract_dir(&z, "pkg/model", &out).unwrap(), 2);
        assert_eq!(fs::read(out.join("a.bin")).unwrap(), b"aaa");
        assert_eq!(fs::read(out.join("sub/b.json")).unwrap(), b"{}");
        assert!(!out.join("__init__.py").exists());

        extract_file(&z, "pkg/model/a.bin", &dir.path().join("one")).unwrap();
        assert_eq!(fs::read(dir.path().join("one")).unwrap(), b"aaa");

        let all = dir.path().join("all");
        extract_all(&z, &all).unwrap();
        assert!(all.join("pkg/__init__.py").is_file());
    }

    #[test]
    fn a_missing_member_or_a_non_zip_is_the_archive_s_fault() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("w.whl");
        zip_of(&z, &[("pkg/x", b"x")]);
        let err = extract_dir(&z, "pkg/model", dir.path()).unwrap_err();
        assert!(
            matches!(&err, UnpackError::Archive(m) if m.contains("pkg/model/")),
            "{err}"
        );
        let err = extract_file(&z, "pkg/model.zip", &dir.path().join("m")).unwrap_err();
        assert!(
            matches!(&err, UnpackError::Archive(m) if m.contains("pkg/model.zip")),
            "{err}"
        );
        let junk = dir.path().join("junk.whl");
        fs::write(&junk, b"not a zip at all").unwrap();
        assert!(matches!(
            extract_all(&junk, dir.path()),
            Err(UnpackError::Archive(_))
        ));
    }

    #[test]
    fn damaged_data_is_reported_not_written_as_good() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("w.whl");
        let data = b"0123456789abcdef".repeat(256);
        let mut w = zip::ZipWriter::new(fs::File::create(&z).unwrap());
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("pkg/a.bin", stored).unwrap();
        w.write_all(&data).unwrap();
        w.finish().unwrap();
        let mut bytes = fs::read(&z).unwrap();
        let at = bytes.windows(16).position(|x| x == &data[..16]).unwrap() + 100;
        bytes[at] ^= 0xff;
        fs::write(&z, bytes).unwrap();
        let err = extract_all(&z, &dir.path().join("out")).unwrap_err();
        assert!(matches!(err, UnpackError::Archive(_)), "{err}");
    }
}
