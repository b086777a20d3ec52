//! The one `.npy` reader and writer of binpoint: calibration data, labels, raw inputs, outputs.
//!
//! The header is parsed and checked against the file's length before anything is allocated: a
//! header that claims more data than the file holds (shape `(1e11, 64)` in a 16 KB file) is an
//! error naming the file, not a multi-terabyte allocation. Then ndarray-npy decodes the bytes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::Path;

use ndarray::ArrayD;
use ndarray_npy::{ReadNpyExt, WriteNpyExt};

/// Why an `.npy` file cannot be read or written; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: io::Error },
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
    #[error("{file}: already exists; pass --force to overwrite it")]
    Exists { file: String },
    #[error("{file}: cannot write: {reason}")]
    Write { file: String, reason: String },
}

/// Element types [`read_f32`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatKind {
    F32,
    F64,
}

/// What the header of an `.npy` file says.
#[derive(Debug, PartialEq, Eq)]
struct Header {
    descr: String,
    shape: Vec<usize>,
    /// Bytes before the data.
    len: usize,
}

/// The integer element types [`read_any`] accepts, as numpy spells them without the byte order.
const INT_TYPES: &[(&str, usize)] = &[
    ("i1", 1),
    ("u1", 1),
    ("b1", 1),
    ("i2", 2),
    ("u2", 2),
    ("i4", 4),
    ("u4", 4),
    ("i8", 8),
    ("u8", 8),
];

/// The contents of an `.npy` file: floats (as f32) or integers (as i64).
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    Float(ArrayD<f32>, FloatKind),
    Int(ArrayD<i64>),
}

/// Reads an `.npy` file of float32/float64 (as f32, float64 rounded to nearest) or of integers of
/// any width, signed or not (as i64).
pub fn read_any(path: &Path) -> Result<Array, NpyError> {
    let bytes = read(path)?;
    decode(&bytes).map_err(|reason| invalid(path, reason))
}

/// Reads a float32 or float64 `.npy` file as f32 (float64 values are rounded to nearest).
pub fn read_f32(path: &Path) -> Result<(ArrayD<f32>, FloatKind), NpyError> {
    let bytes = read(path)?;
    decode_f32(&bytes).map_err(|reason| invalid(path, reason))
}

/// Reads an `.npy` file of integers, or of floats that are all whole numbers, as i64 (class
/// labels); `what` names the values in the error when a float is not whole.
fn read_whole(path: &Path, what: &str) -> Result<ArrayD<i64>, NpyError> {
    match read_any(path)? {
        Array::Int(a) => Ok(a),
        Array::Float(x, _) => {
            let whole = |v: f32| v.is_finite() && v.fract() == 0.0 && v.abs() < 2f32.powi(63);
            match x.iter().find(|&&v| !whole(v)) {
                Some(v) => Err(invalid(path, format!("{what} {v} is not a whole number"))),
                None => Ok(x.mapv(|v| v as i64)),
            }
        }
    }
}

/// Class labels: an `.npy` of integers or whole floats ([`read_whole`]), flattened, at least one.
pub fn read_labels(path: &Path) -> Result<Vec<i64>, NpyError> {
    let labels: Vec<i64> = read_whole(path, "label")?.iter().copied().collect();
    if labels.is_empty() {
        return Err(invalid(path, "no labels".into()));
    }
    Ok(labels)
}

fn read(path: &Path) -> Result<Vec<u8>, NpyError> {
    crate::input::read_regular(path).map_err(|source| NpyError::Read {
        file: path.display().to_string(),
        source,
    })
}

fn invalid(path: &Path, reason: String) -> NpyError {
    NpyError::Invalid {
        file: path.display().to_string(),
        reason,
    }
}

/// [`read_f32`] on the bytes of a file (the fuzz target's entry; files go through `read_f32`).
pub fn decode_f32(bytes: &[u8]) -> Result<(ArrayD<f32>, FloatKind), String> {
    let header = checked_header(bytes)?;
    match float_kind(&header) {
        Some(kind) => floats(bytes, kind),
        None => Err(format!(
            "data type '{}' is not supported: expected float32 or float64 ('<f4' or '<f8')",
            header.descr
        )),
    }
}

fn float_kind(header: &Header) -> Option<FloatKind> {
    match &header.descr[1..] {
        "f4" => Some(FloatKind::F32),
        "f8" => Some(FloatKind::F64),
        _ => None,
    }
}

/// The data of a checked float header, as f32.
fn floats(bytes: &[u8], kind: FloatKind) -> Result<(ArrayD<f32>, FloatKind), String> {
    let array = match kind {
        FloatKind::F32 => ArrayD::<f32>::read_npy(bytes),
        FloatKind::F64 => ArrayD::<f64>::read_npy(bytes).map(|a| a.mapv(|v| v as f32)),
    }
    .map_err(|e| format!("not a valid .npy file: {e}"))?;
    Ok((array, kind))
}

/// [`read_any`] on the bytes of a file (the fuzz target's entry; files go through `read_any`).
pub fn decode(bytes: &[u8]) -> Result<Array, String> {
    let header = checked_header(bytes)?;
    let bad = |e: ndarray_npy::ReadNpyError| format!("not a valid .npy file: {e}");
    let wide = |a: ArrayD<u64>| {
        a.iter()
            .map(|&v| i64::try_from(v).map_err(|_| format!("value {v} does not fit an int64")))
            .collect::<Result<Vec<i64>, String>>()
            .and_then(|v| ArrayD::from_shape_vec(a.shape(), v).map_err(|e| e.to_string()))
    };
    if let Some(kind) = float_kind(&header) {
        let (x, kind) = floats(bytes, kind)?;
        return Ok(Array::Float(x, kind));
    }
    let ints = match &header.descr[1..] {
        "i1" => ArrayD::<i8>::read_npy(bytes).map_err(bad)?.mapv(i64::from),
        "u1" => ArrayD::<u8>::read_npy(bytes).map_err(bad)?.mapv(i64::from),
        "b1" => ArrayD::<bool>::read_npy(bytes)
            .map_err(bad)?
            .mapv(i64::from),
        "i2" => ArrayD::<i16>::read_npy(bytes).map_err(bad)?.mapv(i64::from),
        "u2" => ArrayD::<u16>::read_npy(bytes).map_err(bad)?.mapv(i64::from),
        "i4" => ArrayD::<i32>::read_npy(bytes).map_err(bad)?.mapv(i64::from),
        "u4" => ArrayD::<u32>::read_npy(bytes).map_err(bad)?.mapv(i64::from),
        "i8" => ArrayD::<i64>::read_npy(bytes).map_err(bad)?,
        "u8" => wide(ArrayD::<u64>::read_npy(bytes).map_err(bad)?)?,
        _ => return Err(format!("data type '{}' is not supported", header.descr)),
    };
    Ok(Array::Int(ints))
}

/// The header, checked: a known element size and exactly as many data bytes as the shape needs.
fn checked_header(bytes: &[u8]) -> Result<Header, String> {
    let header = parse_header(bytes).map_err(|e| format!("not a valid .npy file: {e}"))?;
    let item = match &header.descr.get(1..) {
        Some("f4") => 4,
        Some("f8") => 8,
        Some(t) => match INT_TYPES.iter().find(|(name, _)| name == t) {
            Some(&(_, size)) => size,
            None => {
                return Err(format!(
                    "data type '{}' is not supported: expected float32/float64 or integers",
                    header.descr
                ))
            }
        },
        None => return Err(format!("data type '{}' is not supported", header.descr)),
    };
    let data = bytes.len() - header.len;
    let needed = header
        .shape
        .iter()
        .try_fold(item, |acc: usize, &d| acc.checked_mul(d));
    if needed != Some(data) {
        return Err(format!(
            "the header says shape {:?} of {}, which is {} bytes, but the file holds {data} bytes of data",
            header.shape,
            header.descr,
            needed.map_or("more than 2^64".to_string(), |n| n.to_string())
        ));
    }
    Ok(header)
}

/// Writes `array` as an `.npy` file. Without `force` an existing file is an error and is left
/// untouched; a write that fails part-way removes what it wrote.
pub fn write<T: ndarray_npy::WritableElement>(
    path: &Path,
    array: &ArrayD<T>,
    force: bool,
) -> Result<(), NpyError> {
    let file = path.display().to_string();
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let out = options.open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            NpyError::Exists { file: file.clone() }
        } else {
            NpyError::Write {
                file: file.clone(),
                reason: e.to_string(),
            }
        }
    })?;
    let written = write_to(out, array);
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written.map_err(|reason| NpyError::Write { file, reason })
}

fn write_to<T: ndarray_npy::WritableElement>(out: File, array: &ArrayD<T>) -> Result<(), String> {
    let mut out = BufWriter::new(out);
    array.write_npy(&mut out).map_err(|e| e.to_string())?;
    out.into_inner()
        .map_err(|e| e.into_error().to_string())?
        .sync_all()
        .map_err(|e| e.to_string())
}

/// Fails early, before any work, when [`write`] would: `path` exists (unless `force`) or its
/// folder does not. [`write`] checks again when it creates the file.
pub fn check_writable(path: &Path, force: bool) -> Result<(), NpyError> {
    let file = path.display().to_string();
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(NpyError::Exists { file });
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if folder.is_some_and(|p| !p.is_dir()) {
        return Err(NpyError::Write {
            file,
            reason: "its folder does not exist".into(),
        });
    }
    Ok(())
}

/// Magic, version, header length, then a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (64, 8, 8), }`.
fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        return Err("it does not start with the .npy magic bytes".into());
    }
    let (dict_len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unknown format version {v}")),
    };
    let end = start
        .checked_add(dict_len)
        .filter(|&end| end <= bytes.len())
        .ok_or("the header is truncated")?;
    let dict = std::str::from_utf8(&bytes[start..end]).map_err(|_| "the header is not text")?;
    let descr = dict_value(dict, "descr")?;
    let descr = descr
        .strip_prefix(['\'', '"'])
        .and_then(|d| d.split(['\'', '"']).next())
        .ok_or("'descr' is not a string")?
        .to_string();
    if descr.len() < 2 {
        return Err(format!("'descr' '{descr}' is not a numpy type"));
    }
    let shape = dict_value(dict, "shape")?;
    let inner = shape
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("'shape' is not a tuple")?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.trim_end_matches('L')
                .parse()
                .map_err(|_| format!("'shape' has a bad dimension '{d}'"))
        })
        .collect::<Result<_, String>>()?;
    Ok(Header {
        descr,
        shape,
        len: end,
    })
}

/// The text right after `'key':` in the header dict.
fn dict_value<'a>(dict: &'a str, key: &str) -> Result<&'a str, String> {
    for quote in ['\'', '"'] {
        let pattern = format!("{quote}{key}{quote}");
        if let Some(at) = dict.find(&pattern) {
            let rest = dict[at + pattern.len()..].trim_start();
            if let Some(value) = rest.strip_prefix(':') {
                return Ok(value.trim_start());
            }
        }
    }
    Err(format!("the header has no '{key}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((dict.len() as u16).to_le_bytes());
        b.extend(dict.as_bytes());
        b.extend(data);
        b
    }

    #[test]
    fn headers() {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        let h = parse_header(&npy(dict, &[])).unwrap();
        assert_eq!(h.descr, "<f4");
        assert_eq!(h.shape, [2, 3]);
        assert_eq!(h.len, 10 + dict.len());
        let h = parse_header(&npy("{'descr': '>f8', 'shape': (), }", &[])).unwrap();
        assert_eq!((h.descr.as_str(), h.shape.len()), (">f8", 0));
        let h = parse_header(&npy("{\"shape\": (7,), \"descr\": \"<f8\"}", &[])).unwrap();
        assert_eq!((h.descr.as_str(), h.shape), ("<f8", vec![7]));
        for bad in [
            npy("{'descr': '<f4'}", &[]),
            npy("{'descr': '<f4', 'shape': (2, x)}", &[]),
            npy("{'descr': '', 'shape': (2,)}", &[]),
            b"\x93NUMPY\x01\x00\xff\x00{".to_vec(),
            b"PK\x03\x04".to_vec(),
        ] {
            assert!(parse_header(&bad).is_err());
        }
    }

    #[test]
    fn byte_orders_memory_orders_and_sizes() {
        let dict = "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 2), }\n";
        let data: Vec<u8> = [1f32, 2., 3., 4.]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let (a, kind) = decode_f32(&npy(dict, &data)).unwrap();
        assert_eq!(kind, FloatKind::F32);
        // Fortran order: column by column.
        assert_eq!(a, ndarray::arr2(&[[1f32, 3.], [2., 4.]]).into_dyn());

        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n";
        let data: Vec<u8> = [0.1f64, -2.5, 1e300]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (a, kind) = decode_f32(&npy(dict, &data)).unwrap();
        assert_eq!(kind, FloatKind::F64);
        assert_eq!(a.as_slice().unwrap(), [0.1f32, -2.5, f32::INFINITY]);

        let short = npy(dict, &data[..16]);
        let e = decode_f32(&short).unwrap_err();
        assert!(e.contains("24 bytes, but the file holds 16"), "{e}");
        let huge =
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }";
        let e = decode_f32(&npy(huge, &[0; 8])).unwrap_err();
        assert!(e.contains("more than 2^64"), "{e}");
        // A header claiming 1e11 x 64 floats in a small file: refused before allocating.
        let claim = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 64), }";
        let e = decode(&npy(claim, &[0; 16384])).unwrap_err();
        assert!(e.contains("but the file holds 16384 bytes"), "{e}");
        let ints = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }";
        let e = decode_f32(&npy(ints, &[0; 4])).unwrap_err();
        assert!(e.starts_with("data type '<i4' is not supported"), "{e}");
    }

    #[test]
    fn integers_of_every_width_and_floats() {
        let le = |descr: &str, n: usize, data: Vec<u8>| {
            let dict =
                format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n},), }}\n");
            decode(&npy(&dict, &data)).unwrap()
        };
        let int = |a: Array| match a {
            Array::Int(a) => a.iter().copied().collect::<Vec<i64>>(),
            other => panic!("{other:?}"),
        };
        let v = le(
            "<i2",
            2,
            [-3i16, 7].iter().flat_map(|v| v.to_le_bytes()).collect(),
        );
        assert_eq!(int(v), [-3, 7]);
        assert_eq!(int(le("|u1", 2, vec![0, 255])), [0, 255]);
        let v = le("<i8", 1, (-1i64 << 62).to_le_bytes().to_vec());
        assert_eq!(int(v), [-1i64 << 62]);
        let v = le(
            "<f4",
            2,
            [3f32, -1.].iter().flat_map(|v| v.to_le_bytes()).collect(),
        );
        assert!(matches!(v, Array::Float(_, FloatKind::F32)));
        let dict = "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }\n";
        let e = decode(&npy(dict, &u64::MAX.to_le_bytes())).unwrap_err();
        assert!(e.contains("does not fit an int64"), "{e}");
    }
}

/// Whether samples of shape `data` (one sample, without the batch) hold an input of shape `want`
/// in its layout: the same number of values, and either side flat, or the same shape up to
/// dimensions of size 1. Another order of the same values (a channels-last `[8,8,3]` image for a
/// channels-first `[3,8,8]` input) is not.
pub fn same_layout(data: &[usize], want: &[usize]) -> bool {
    let squeeze = |d: &[usize]| -> Vec<usize> { d.iter().copied().filter(|&v| v != 1).collect() };
    let (d, w) = (squeeze(data), squeeze(want));
    data.iter().product::<usize>() == want.iter().product::<usize>()
        && (d.len() <= 1 || w.len() <= 1 || d == w)
}

#[cfg(test)]
mod layout_tests {
    use super::same_layout;

    #[test]
    fn layouts() {
        assert!(same_layout(&[64], &[1, 8, 8]));
        assert!(same_layout(&[8, 8], &[64]));
        assert!(same_layout(&[8, 8, 1], &[1, 8, 8]));
        assert!(same_layout(&[3, 8, 8], &[3, 8, 8]));
        assert!(!same_layout(&[8, 8, 3], &[3, 8, 8]));
        assert!(!same_layout(&[64, 63], &[63, 64]));
        assert!(!same_layout(&[63], &[64]));
    }
}
