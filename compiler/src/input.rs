//! Opening the files binpoint reads (models, external data, `.npy` data and labels, configs):
//! regular files only. The file type is checked before opening, and again on the open file, so a
//! FIFO, a device or a folder given as input is an error naming what it is, never a read that
//! blocks forever or never ends.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// What a non-regular file is, in words.
fn kind(t: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn not_regular(t: fs::FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}, not a regular file", kind(t)),
    )
}

/// Opens `path` for reading if it is a regular file (symlinks to one are followed).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let t = fs::metadata(path)?.file_type();
    if !t.is_file() {
        return Err(not_regular(t));
    }
    let f = File::open(path)?;
    // The path may have been replaced between the check and the open.
    let t = f.metadata()?.file_type();
    if !t.is_file() {
        return Err(not_regular(t));
    }
    Ok(f)
}

/// The bytes of a regular file.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = open_regular(path)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The text of a regular file (UTF-8).
pub fn read_regular_text(path: &Path) -> io::Result<String> {
    String::from_utf8(read_regular(path)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not UTF-8 text"))
}
