//! Reader for CTranslate2's `model.bin` (format version 6): named tensors and aliases.
//!
//! The file is read whole into memory (tens to hundreds of MB); tensors borrow from it.

use std::collections::HashMap;

use super::ImportError;

/// Element type of a CTranslate2 variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Self::F32 | Self::I32 => 4,
            Self::F16 | Self::BF16 | Self::I16 => 2,
            Self::I8 => 1,
        }
    }
}

/// One variable of the model, borrowing its raw little-endian bytes.
#[derive(Debug, Clone)]
pub struct Tensor<'a> {
    pub name: &'a str,
    pub dims: Vec<usize>,
    pub dtype: DType,
    pub data: &'a [u8],
}

impl Tensor<'_> {
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as f32, whatever the stored float type.
    pub fn to_f32(&self) -> Result<Vec<f32>, ImportError> {
        let b = self.data;
        Ok(match self.dtype {
            DType::F32 => b
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            DType::F16 => b
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            DType::BF16 => b
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            other => {
                return Err(ImportError::UnsupportedDtype {
                    tensor: self.name.to_string(),
                    dtype: format!("{other:?}"),
                });
            }
        })
    }

    /// A scalar integer variable (such as `encoder/num_heads`).
    pub fn scalar_int(&self) -> Option<i64> {
        let b = self.data;
        match (self.dtype, b.len()) {
            (DType::I8, 1) => Some(b[0] as i8 as i64),
            (DType::I16, 2) => Some(i16::from_le_bytes([b[0], b[1]]) as i64),
            (DType::I32, 4) => Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
            _ => None,
        }
    }
}

/// A parsed `model.bin`.
#[derive(Debug)]
pub struct Ct2Model<'a> {
    pub spec_name: String,
    pub revision: u32,
    tensors: HashMap<&'a str, Tensor<'a>>,
    aliases: HashMap<&'a str, &'a str>,
    order: Vec<&'a str>,
}

/// The format version this reader understands.
pub const SUPPORTED_VERSION: u32 = 6;

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ImportError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(ImportError::Truncated {
                what: what.to_string(),
                offset: self.pos as u64,
                size: self.buf.len() as u64,
            }),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, ImportError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, ImportError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ImportError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self, what: &str) -> Result<&'a str, ImportError> {
        let n = self.u16(what)? as usize;
        let bytes = self.take(n, what)?;
        let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        std::str::from_utf8(bytes).map_err(|_| ImportError::Corrupt {
            detail: format!("{what} at byte {} is not UTF-8", self.pos),
        })
    }
}

impl<'a> Ct2Model<'a> {
    /// Parse a whole `model.bin` image.
    pub fn parse(buf: &'a [u8]) -> Result<Self, ImportError> {
        let mut c = Cursor { buf, pos: 0 };
        let version = c.u32("format version")?;
        if version != SUPPORTED_VERSION {
            return Err(ImportError::UnsupportedVersion(version));
        }
        let spec_name = c.string("spec name")?.to_string();
        let revision = c.u32("spec revision")?;
        let count = c.u32("variable count")? as usize;
        if count > 100_000 {
            return Err(ImportError::Corrupt {
                detail: format!("implausible variable count {count}"),
            });
        }
        let mut tensors = HashMap::with_capacity(count);
        let mut order = Vec::with_capacity(count);
        for _ in 0..count {
            let name = c.string("variable name")?;
            let rank = c.u8("variable rank")? as usize;
            let mut dims = Vec::with_capacity(rank);
            for _ in 0..rank {
                dims.push(c.u32("variable shape")? as usize);
            }
            let code = c.u8("variable type")?;
            let dtype = DType::from_code(code).ok_or_else(|| ImportError::UnsupportedDtype {
                tensor: name.to_string(),
                dtype: format!("code {code}"),
            })?;
            let nbytes = c.u32("variable size")? as usize;
            // Checked: a shape's element count can exceed the address space.
            let expected = dims
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d))
                .and_then(|n| n.max(1).checked_mul(dtype.size()));
            if expected != Some(nbytes) {
                let needs =
                    expected.map_or_else(|| "more than can be addressed".into(), |e| e.to_string());
                return Err(ImportError::Corrupt {
                    detail: format!(
                        "variable {name}: {nbytes} bytes stored, shape {dims:?} needs {needs}"
                    ),
                });
            }
            let data = c.take(nbytes, &format!("data of {name}"))?;
            order.push(name);
            tensors.insert(
                name,
                Tensor {
                    name,
                    dims,
                    dtype,
                    data,
                },
            );
        }
        let mut aliases = HashMap::new();
        // Older writers may end right after the variables.
        if c.pos < buf.len() {
            let n = c.u32("alias count")?;
            for _ in 0..n {
                let alias = c.string("alias name")?;
                let target = c.string("alias target")?;
                aliases.insert(alias, target);
            }
        }
        Ok(Self {
            spec_name,
            revision,
            tensors,
            aliases,
            order,
        })
    }

    /// A variable by name, following aliases.
    pub fn get(&self, name: &str) -> Option<&Tensor<'a>> {
        self.tensors
            .get(name)
            .or_else(|| self.aliases.get(name).and_then(|t| self.tensors.get(t)))
    }

    /// A variable that must exist.
    pub fn require(&self, name: &str) -> Result<&Tensor<'a>, ImportError> {
        self.get(name)
            .ok_or_else(|| ImportError::MissingTensor(name.to_string()))
    }

    /// Variable names in file order.
    pub fn names(&self) -> impl Iterator<Item = &&'a str> {
        self.order.iter()
    }

    /// Number of stored variables.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    fn tiny_file() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        string(&mut b, "WhisperSpec");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        string(&mut b, "a/weight");
        b.push(2);
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.push(0);
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(&1.5f32.to_le_bytes());
        b.extend_from_slice(&(-2f32).to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        string(&mut b, "b/weight");
        string(&mut b, "a/weight");
        b
    }

    #[test]
    fn parses_variables_and_aliases() {
        let buf = tiny_file();
        let m = Ct2Model::parse(&buf).unwrap();
        assert_eq!(m.spec_name, "WhisperSpec");
        assert_eq!(m.len(), 1);
        let t = m.require("b/weight").unwrap();
        assert_eq!(t.dims, vec![2, 1]);
        assert_eq!(t.to_f32().unwrap(), vec![1.5, -2.0]);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let buf = tiny_file();
        // Cutting inside the alias table or variables must fail; cutting exactly after the
        // variables is a valid older file.
        let vars_end = buf.len() - 4 - 2 * (2 + 9);
        for cut in 0..buf.len() {
            let r = Ct2Model::parse(&buf[..cut]);
            if cut == vars_end {
                assert!(r.is_ok());
            } else {
                assert!(r.is_err(), "cut at {cut} parsed");
            }
        }
    }

    #[test]
    fn rejects_unknown_version() {
        let mut buf = tiny_file();
        buf[0] = 5;
        assert!(matches!(
            Ct2Model::parse(&buf),
            Err(ImportError::UnsupportedVersion(5))
        ));
    }
}
