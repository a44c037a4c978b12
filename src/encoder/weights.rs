//! Reads the float32 tensors of a safetensors file into candle tensors, checked against the
//! file's header before anything is allocated.
//!
//! The crate forbids `unsafe`, which rules out candle's memory-mapped loader, so each tensor is
//! read straight from the file into its own buffer, which becomes the tensor without a copy.
//! That is as fast from the page cache, never holds the file and the weights at once (peak
//! memory is the weights plus 1 MiB), and a file changed underneath cannot fault the process.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use candle_core::{Device, Tensor};
use safetensors::tensor::{Dtype, Metadata};

/// The largest header accepted (the real one is 11 kB).
const MAX_HEADER: u64 = 16 << 20;
/// Bytes read at a time.
const CHUNK: usize = 1 << 20;

/// Every float32 tensor of the file by name; other dtypes (the model's `position_ids`) are
/// skipped. The error is a reason for `EncoderError::Weights`.
pub(super) fn load_f32(path: &Path) -> Result<HashMap<String, Tensor>, String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    let (data_start, metadata) = read_header(&mut file, file_len)?;
    let mut tensors = HashMap::new();
    for name in metadata.offset_keys() {
        let Some(info) = metadata.info(&name) else {
            continue;
        };
        if info.dtype != Dtype::F32 {
            continue;
        }
        let (start, end) = info.data_offsets;
        file.seek(SeekFrom::Start(data_start + start as u64))
            .map_err(|e| e.to_string())?;
        let values = read_f32(&mut file, (end - start) / 4)
            .map_err(|e| format!("reading tensor {name}: {e}"))?;
        let tensor = Tensor::from_vec(values, info.shape.as_slice(), &Device::Cpu)
            .map_err(|e| format!("tensor {name}: {e}"))?;
        tensors.insert(name, tensor);
    }
    Ok(tensors)
}

/// The header, checked: it parses, its tensors tile the data without gaps or overlaps, and
/// the file is exactly as long as the header says. Returns where the data starts.
fn read_header(file: &mut File, file_len: u64) -> Result<(u64, Metadata), String> {
    let mut len_bytes = [0u8; 8];
    file.read_exact(&mut len_bytes)
        .map_err(|_| format!("the file is {file_len} bytes, too short for a header"))?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER || 8 + header_len > file_len {
        return Err(format!(
            "its header claims {header_len} bytes in a file of {file_len} bytes"
        ));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(|e| e.to_string())?;
    let metadata: Metadata =
        serde_json::from_slice(&header).map_err(|e| format!("its header does not parse: {e}"))?;
    let data_start = 8 + header_len;
    let expected = data_start + metadata.data_len() as u64;
    if expected != file_len {
        return Err(format!(
            "its header describes {expected} bytes but the file has {file_len}"
        ));
    }
    Ok((data_start, metadata))
}

/// `count` little-endian float32 values from the reader's position.
fn read_f32(file: &mut File, count: usize) -> std::io::Result<Vec<f32>> {
    let mut values = Vec::with_capacity(count);
    let mut buf = vec![0u8; CHUNK.min(count * 4)];
    let mut left = count * 4;
    while left > 0 {
        let chunk = &mut buf[..CHUNK.min(left)];
        file.read_exact(chunk)?;
        values.extend(
            chunk
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        left -= chunk.len();
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join("w.safetensors");
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_f32_tensors_and_skips_others() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = Vec::new();
        for v in [1.5f32, -2.0, 3.25, 0.0, 7.0, 8.0] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(&5i64.to_le_bytes());
        let header = r#"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"p":{"dtype":"I64","shape":[1],"data_offsets":[24,32]}}"#;
        let t = load_f32(&write(dir.path(), &file(header, &data))).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(
            t["a"].to_vec2::<f32>().unwrap(),
            vec![vec![1.5, -2.0, 3.25], vec![0.0, 7.0, 8.0]]
        );
    }

    #[test]
    fn refuses_short_files_huge_headers_bad_json_and_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let ok = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![1, 2, 3], "too short"),
            (u64::MAX.to_le_bytes().to_vec(), "header claims"),
            (file("{not json", &[]), "does not parse"),
            (file(ok, &[0; 4]), "but the file has"),
            (file(ok, &[0; 12]), "but the file has"),
            (
                file(
                    r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
                    &[0; 4],
                ),
                "does not parse",
            ),
        ];
        for (bytes, want) in cases {
            let err = load_f32(&write(dir.path(), &bytes)).unwrap_err();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
    }
}
