//! TensorProto -> TensorData: every ONNX storage form we accept, with size checks before any allocation.

use crate::error::CompileError;
use crate::ir::{TensorData, MAX_ELEMENTS};
use ndarray::{ArrayD, IxDyn};
use onnx_protobuf::tensor_proto::{DataLocation, DataType};
use onnx_protobuf::TensorProto;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

fn terr(file: &str, t: &TensorProto, reason: impl Into<String>) -> CompileError {
    CompileError::Tensor {
        file: file.into(),
        tensor: t.name.clone(),
        reason: reason.into(),
    }
}

/// Element count of `dims`, rejecting negative dims, overflow and sizes over [`MAX_ELEMENTS`].
pub(crate) fn checked_numel(dims: &[i64]) -> Result<usize, String> {
    let mut n: u64 = 1;
    for &d in dims {
        if d < 0 {
            return Err(format!("negative dimension {d} in {dims:?}"));
        }
        n = n
            .checked_mul(d as u64)
            .ok_or_else(|| format!("dimensions {dims:?} overflow"))?;
    }
    if n > MAX_ELEMENTS {
        return Err(format!(
            "dimensions {dims:?} give {n} elements, over the limit of {MAX_ELEMENTS}"
        ));
    }
    Ok(n as usize)
}

/// Bytes the decoded tensor will take in the IR (floats as f32, integers as i64), known before
/// anything is read or allocated, for the model's memory budget.
pub(crate) fn ir_bytes(t: &TensorProto, file: &str) -> Result<u64, CompileError> {
    let n = checked_numel(&t.dims).map_err(|r| terr(file, t, r))? as u64;
    let float = matches!(
        protobuf::Enum::from_i32(t.data_type),
        Some(DataType::FLOAT | DataType::DOUBLE | DataType::FLOAT16 | DataType::BFLOAT16)
    );
    Ok(crate::ir::budget::bytes_of(n, if float { 4 } else { 8 }))
}

pub(crate) fn decode(
    t: &TensorProto,
    file: &str,
    base_dir: Option<&Path>,
) -> Result<TensorData, CompileError> {
    let n = checked_numel(&t.dims).map_err(|r| terr(file, t, r))?;
    let dims: Vec<usize> = t.dims.iter().map(|&d| d as usize).collect();
    if t.segment.is_some() {
        return Err(terr(file, t, "segmented tensors are not supported"));
    }
    let dtype = match protobuf::Enum::from_i32(t.data_type) {
        Some(d) => d,
        None => return Err(terr(file, t, format!("unknown data type {}", t.data_type))),
    };
    let elem = match dtype {
        DataType::FLOAT | DataType::INT32 | DataType::UINT32 => 4,
        DataType::DOUBLE | DataType::INT64 | DataType::UINT64 => 8,
        DataType::FLOAT16 | DataType::BFLOAT16 | DataType::INT16 | DataType::UINT16 => 2,
        DataType::INT8 | DataType::UINT8 | DataType::BOOL => 1,
        other => {
            return Err(terr(
                file,
                t,
                format!("data type {other:?} is not supported"),
            ))
        }
    };
    let external;
    let raw: &[u8] = if t.data_location.enum_value() == Ok(DataLocation::EXTERNAL) {
        external = read_external(t, file, base_dir, n * elem)?;
        &external
    } else {
        &t.raw_data
    };
    let use_raw = !raw.is_empty() || t.data_location.enum_value() == Ok(DataLocation::EXTERNAL);
    if use_raw && raw.len() != n * elem {
        return Err(terr(
            file,
            t,
            format!(
                "raw data has {} bytes, {dims:?} needs {}",
                raw.len(),
                n * elem
            ),
        ));
    }
    let typed_len = |len: usize| -> Result<(), CompileError> {
        if len != n {
            return Err(terr(
                file,
                t,
                format!("has {len} values, shape {dims:?} needs {n}"),
            ));
        }
        Ok(())
    };
    let chunks = |size: usize| raw.chunks_exact(size);
    let f32s = |v: Vec<f32>| -> Result<TensorData, CompileError> {
        ArrayD::from_shape_vec(IxDyn(&dims), v)
            .map(TensorData::F32)
            .map_err(|e| terr(file, t, e.to_string()))
    };
    let i64s = |v: Vec<i64>| -> Result<TensorData, CompileError> {
        ArrayD::from_shape_vec(IxDyn(&dims), v)
            .map(TensorData::I64)
            .map_err(|e| terr(file, t, e.to_string()))
    };
    let le = |c: &[u8]| -> u64 { c.iter().rev().fold(0u64, |acc, &b| (acc << 8) | b as u64) };
    match dtype {
        DataType::FLOAT if use_raw => {
            f32s(chunks(4).map(|c| f32::from_bits(le(c) as u32)).collect())
        }
        DataType::FLOAT => {
            typed_len(t.float_data.len())?;
            f32s(t.float_data.clone())
        }
        DataType::DOUBLE if use_raw => {
            f32s(chunks(8).map(|c| f64::from_bits(le(c)) as f32).collect())
        }
        DataType::DOUBLE => {
            typed_len(t.double_data.len())?;
            f32s(t.double_data.iter().map(|&v| v as f32).collect())
        }
        DataType::FLOAT16 | DataType::BFLOAT16 => {
            let bits: Vec<u16> = if use_raw {
                chunks(2).map(|c| le(c) as u16).collect()
            } else {
                typed_len(t.int32_data.len())?;
                t.int32_data.iter().map(|&v| v as u16).collect()
            };
            let conv = |b: u16| {
                if dtype == DataType::FLOAT16 {
                    half::f16::from_bits(b).to_f32()
                } else {
                    half::bf16::from_bits(b).to_f32()
                }
            };
            f32s(bits.into_iter().map(conv).collect())
        }
        DataType::INT64 if use_raw => i64s(chunks(8).map(|c| le(c) as i64).collect()),
        DataType::INT64 => {
            typed_len(t.int64_data.len())?;
            i64s(t.int64_data.clone())
        }
        DataType::UINT64 | DataType::UINT32 => {
            let v: Vec<u64> = if use_raw {
                chunks(elem).map(le).collect()
            } else {
                typed_len(t.uint64_data.len())?;
                t.uint64_data.clone()
            };
            let v: Result<Vec<i64>, _> = v.into_iter().map(i64::try_from).collect();
            i64s(v.map_err(|_| terr(file, t, "unsigned value does not fit in i64"))?)
        }
        _ => {
            // int8, uint8, int16, uint16, int32, bool: raw little-endian or widened in int32_data.
            let signed = matches!(dtype, DataType::INT8 | DataType::INT16 | DataType::INT32);
            let v: Vec<i64> = if use_raw {
                chunks(elem)
                    .map(|c| {
                        let u = le(c);
                        let bits = 8 * elem as u32;
                        if signed && (u >> (bits - 1)) & 1 == 1 {
                            (u as i64) - (1i64 << bits)
                        } else {
                            u as i64
                        }
                    })
                    .collect()
            } else {
                typed_len(t.int32_data.len())?;
                t.int32_data.iter().map(|&v| v as i64).collect()
            };
            i64s(v)
        }
    }
}

fn read_external(
    t: &TensorProto,
    file: &str,
    base_dir: Option<&Path>,
    expect: usize,
) -> Result<Vec<u8>, CompileError> {
    let err = |reason: String| CompileError::ExternalData {
        file: file.into(),
        tensor: t.name.clone(),
        reason,
    };
    let base = base_dir.ok_or_else(|| {
        err("model was not loaded from a folder, external data unavailable".into())
    })?;
    let mut location = None;
    let (mut offset, mut length) = (0u64, None);
    for kv in &t.external_data {
        let num = || {
            kv.value
                .parse::<u64>()
                .map_err(|_| err(format!("bad {} '{}'", kv.key, kv.value)))
        };
        match kv.key.as_str() {
            "location" => location = Some(kv.value.clone()),
            "offset" => offset = num()?,
            "length" => length = Some(num()?),
            _ => {}
        }
    }
    let location = location.ok_or_else(|| err("no 'location' key".into()))?;
    let path = confined(base, &location).map_err(err)?;
    if let Some(l) = length {
        if l != expect as u64 {
            return Err(err(format!(
                "length {l} but the tensor needs {expect} bytes"
            )));
        }
    }
    let mut f = crate::input::open_regular(&path).map_err(|e| err(format!("'{location}': {e}")))?;
    let size = f.metadata().map_err(|e| err(e.to_string()))?.len();
    if offset
        .checked_add(expect as u64)
        .is_none_or(|end| end > size)
    {
        return Err(err(format!(
            "'{location}' has {size} bytes, offset {offset} + {expect} needed"
        )));
    }
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| err(e.to_string()))?;
    let mut buf = vec![0u8; expect];
    f.read_exact(&mut buf).map_err(|e| err(e.to_string()))?;
    Ok(buf)
}

/// `(bits, signed)` of an int8/uint8/int16/uint16 tensor (QDQ's integer types).
pub(crate) fn small_int_type(t: &TensorProto) -> Option<(u32, bool)> {
    match protobuf::Enum::from_i32(t.data_type)? {
        DataType::INT8 => Some((8, true)),
        DataType::UINT8 => Some((8, false)),
        DataType::INT16 => Some((16, true)),
        DataType::UINT16 => Some((16, false)),
        DataType::INT32 => Some((32, true)),
        _ => None,
    }
}

/// The file `location` names inside the model's folder `base`. Whatever lies outside the folder
/// (absolute paths, `..` above it, symlinks leading out) gets one answer, the same whether such a
/// file exists or not, so a model cannot probe the rest of the file system.
fn confined(base: &Path, location: &str) -> Result<std::path::PathBuf, String> {
    use std::path::Component;
    let outside = || format!("'{location}' is not a file inside the model's folder");
    let mut rel = std::path::PathBuf::new();
    for c in Path::new(location).components() {
        match c {
            Component::Normal(p) => rel.push(p),
            Component::CurDir => {}
            Component::ParentDir if rel.pop() => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(outside())
            }
        }
    }
    let base = base
        .canonicalize()
        .map_err(|e| format!("model folder: {e}"))?;
    match base.join(&rel).canonicalize() {
        Ok(path) if path.starts_with(&base) && path != base => Ok(path),
        _ => Err(outside()),
    }
}
