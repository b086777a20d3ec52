//! `.npy` files at the CLI edge: read float32 or float64 into f32, write f32 without clobbering.
//!
//! The header is checked before ndarray-npy allocates anything: a header that claims more data than
//! the file holds is an error, not a multi-terabyte allocation.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::Path;

use anyhow::{bail, Context};
use ndarray::ArrayD;
use ndarray_npy::{ReadNpyExt, WriteNpyExt};

/// Element types `read_f32` accepts.
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

/// Reads a float32 or float64 `.npy` file as f32 (float64 values are rounded to nearest).
pub fn read_f32(path: &Path) -> anyhow::Result<(ArrayD<f32>, FloatKind)> {
    let file = path.display();
    let bytes = fs::read(path).with_context(|| format!("{file}: cannot read"))?;
    decode_f32(&bytes).with_context(|| file.to_string())
}

fn decode_f32(bytes: &[u8]) -> anyhow::Result<(ArrayD<f32>, FloatKind)> {
    let header = parse_header(bytes).context("not a valid .npy file")?;
    let (kind, item) = match header.descr.as_str() {
        "<f4" | ">f4" => (FloatKind::F32, 4),
        "<f8" | ">f8" => (FloatKind::F64, 8),
        other => bail!(
            "data type '{other}' is not supported: expected float32 or float64 ('<f4' or '<f8')"
        ),
    };
    let data = bytes.len() - header.len;
    let needed = header
        .shape
        .iter()
        .try_fold(item, |acc: usize, &d| acc.checked_mul(d));
    if needed != Some(data) {
        bail!(
            "the header says shape {:?} of {}, which is {} bytes, but the file holds {data} bytes of data",
            header.shape,
            header.descr,
            needed.map_or("more than 2^64".to_string(), |n| n.to_string())
        );
    }
    let array = match kind {
        FloatKind::F32 => ArrayD::<f32>::read_npy(bytes),
        FloatKind::F64 => ArrayD::<f64>::read_npy(bytes).map(|a| a.mapv(|v| v as f32)),
    }
    .context("not a valid .npy file")?;
    Ok((array, kind))
}

/// Writes `array` as a float32 `.npy` file. Without `force` an existing file is an error and is
/// left untouched; a write that fails part-way removes what it wrote.
pub fn write_f32(path: &Path, array: &ArrayD<f32>, force: bool) -> anyhow::Result<()> {
    let file = path.display();
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let out = options.open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            anyhow::anyhow!("{file}: already exists; pass --force to overwrite it")
        } else {
            anyhow::Error::new(e).context(format!("{file}: cannot create"))
        }
    })?;
    let written = write_to(out, array);
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written.with_context(|| format!("{file}: cannot write"))
}

fn write_to(out: File, array: &ArrayD<f32>) -> anyhow::Result<()> {
    let mut out = BufWriter::new(out);
    array.write_npy(&mut out)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

/// Fails early, before any work, when [`write_f32`] would: `path` exists (unless `force`) or its
/// folder does not. [`write_f32`] checks again when it creates the file.
pub fn check_writable(path: &Path, force: bool) -> anyhow::Result<()> {
    let file = path.display();
    if !force && fs::symlink_metadata(path).is_ok() {
        bail!("{file}: already exists; pass --force to overwrite it");
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if folder.is_some_and(|p| !p.is_dir()) {
        bail!("{file}: cannot create: its folder does not exist");
    }
    Ok(())
}

/// Magic, version, header length, then a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (64, 8, 8), }`.
fn parse_header(bytes: &[u8]) -> anyhow::Result<Header> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        bail!("it does not start with the .npy magic bytes");
    }
    let (dict_len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => bail!("unknown format version {v}"),
    };
    let end = start
        .checked_add(dict_len)
        .filter(|&end| end <= bytes.len())
        .context("the header is truncated")?;
    let dict = std::str::from_utf8(&bytes[start..end]).context("the header is not text")?;
    let descr = dict_value(dict, "descr")?;
    let descr = descr
        .strip_prefix(['\'', '"'])
        .and_then(|d| d.split(['\'', '"']).next())
        .context("'descr' is not a string")?
        .to_string();
    let shape = dict_value(dict, "shape")?;
    let inner = shape
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .context("'shape' is not a tuple")?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.trim_end_matches('L')
                .parse()
                .with_context(|| format!("'shape' has a bad dimension '{d}'"))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Header {
        descr,
        shape,
        len: end,
    })
}

/// The text right after `'key':` in the header dict.
fn dict_value<'a>(dict: &'a str, key: &str) -> anyhow::Result<&'a str> {
    for quote in ['\'', '"'] {
        let pattern = format!("{quote}{key}{quote}");
        if let Some(at) = dict.find(&pattern) {
            let rest = dict[at + pattern.len()..].trim_start();
            if let Some(value) = rest.strip_prefix(':') {
                return Ok(value.trim_start());
            }
        }
    }
    bail!("the header has no '{key}'")
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
        let e = decode_f32(&short).unwrap_err().to_string();
        assert!(e.contains("24 bytes, but the file holds 16"), "{e}");
        let huge =
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }";
        let e = decode_f32(&npy(huge, &[0; 8])).unwrap_err().to_string();
        assert!(e.contains("more than 2^64"), "{e}");
        let ints = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }";
        let e = decode_f32(&npy(ints, &[0; 4])).unwrap_err().to_string();
        assert!(e.starts_with("data type '<i4' is not supported"), "{e}");
    }
}
