//! Zips of a communication's folder (transcript and files), split into parts that
//! each stay under a size limit (Telegram's 50 MB upload limit).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// Room kept per entry for headers.
const ENTRY_OVERHEAD: u64 = 1024;

/// The files of a communication folder, as (name in the zip, path on disk, size):
/// `transcript.txt` first, then `files/…` by name.
pub fn entries(folder: &Path) -> io::Result<Vec<(String, PathBuf, u64)>> {
    let mut out = Vec::new();
    let transcript = folder.join("transcript.txt");
    if transcript.is_file() {
        out.push((
            "transcript.txt".to_string(),
            transcript.clone(),
            transcript.metadata()?.len(),
        ));
    }
    let files = folder.join("files");
    if files.is_dir() {
        let mut names: Vec<(String, PathBuf, u64)> = std::fs::read_dir(&files)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let len = e.metadata().ok()?.len();
                Some((format!("files/{name}"), e.path(), len))
            })
            .collect();
        names.sort();
        out.extend(names);
    }
    Ok(out)
}

/// Write the zip(s) of `folder` into `out_dir`, each at most `max_part` bytes (as
/// long as no single file is larger). Names: `{base}.zip`, or
/// `{base}-part1of3.zip` … when split.
pub fn build(folder: &Path, out_dir: &Path, base: &str, max_part: u64) -> io::Result<Vec<PathBuf>> {
    let entries = entries(folder)?;
    // Greedy packing in order, by uncompressed size (compression only shrinks).
    let mut parts: Vec<Vec<&(String, PathBuf, u64)>> = vec![Vec::new()];
    let mut size = 0u64;
    for e in &entries {
        let need = e.2 + ENTRY_OVERHEAD;
        if size + need > max_part && !parts.last().is_some_and(Vec::is_empty) {
            parts.push(Vec::new());
            size = 0;
        }
        if let Some(last) = parts.last_mut() {
            last.push(e);
        }
        size += need;
    }
    std::fs::create_dir_all(out_dir)?;
    let n = parts.len();
    let mut paths = Vec::with_capacity(n);
    for (i, part) in parts.into_iter().enumerate() {
        let name = if n == 1 {
            format!("{base}.zip")
        } else {
            format!("{base}-part{}of{n}.zip", i + 1)
        };
        let path = out_dir.join(name);
        let mut zip = ZipWriter::new(File::create(&path)?);
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(false);
        for (name, file, _) in part {
            zip.start_file(name.as_str(), options)
                .map_err(io::Error::other)?;
            let bytes = std::fs::read(file)?;
            zip.write_all(&bytes)?;
        }
        zip.finish().map_err(io::Error::other)?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("transcript.txt"), "Communication #1\n").unwrap();
        std::fs::create_dir(dir.path().join("files")).unwrap();
        for (name, n) in [("1-a.bin", 3000), ("2-b.bin", 3000), ("3-c.bin", 3000)] {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            std::fs::write(dir.path().join("files").join(name), bytes).unwrap();
        }
        dir
    }

    fn read_zip(path: &Path) -> Vec<(String, Vec<u8>)> {
        let mut z = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).unwrap();
                let mut v = Vec::new();
                f.read_to_end(&mut v).unwrap();
                (f.name().unwrap().to_string(), v)
            })
            .collect()
    }

    #[test]
    fn one_zip_holds_everything_byte_for_byte() {
        let dir = folder();
        let out = tempfile::tempdir().unwrap();
        let parts = build(dir.path(), out.path(), "archive-1", 45 * 1024 * 1024).unwrap();
        assert_eq!(parts.len(), 1);
        assert!(parts[0].ends_with("archive-1.zip"));
        let content = read_zip(&parts[0]);
        let names: Vec<&str> = content.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "transcript.txt",
                "files/1-a.bin",
                "files/2-b.bin",
                "files/3-c.bin"
            ]
        );
        assert_eq!(
            content[2].1,
            std::fs::read(dir.path().join("files/2-b.bin")).unwrap()
        );
    }

    #[test]
    fn a_large_folder_is_split_under_the_limit() {
        let dir = folder();
        let out = tempfile::tempdir().unwrap();
        let limit = 6000;
        let parts = build(dir.path(), out.path(), "archive-1", limit).unwrap();
        assert_eq!(parts.len(), 3);
        let mut all = Vec::new();
        for p in &parts {
            assert!(p.metadata().unwrap().len() <= limit, "{p:?}");
            all.extend(read_zip(p).into_iter().map(|(n, _)| n));
        }
        assert_eq!(
            all,
            [
                "transcript.txt",
                "files/1-a.bin",
                "files/2-b.bin",
                "files/3-c.bin"
            ]
        );
        assert!(parts[1].ends_with("archive-1-part2of3.zip"));
    }
}
