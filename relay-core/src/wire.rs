//! Bounded little-endian reading shared by the CMR and frame decoders.
//! Every read checks what remains first, so a length field can never cause an oversized allocation.

/// A structural problem found while reading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended before a field was complete.
    #[error("input ended at offset {offset}: {needed} more bytes needed")]
    Truncated {
        /// Where the incomplete field starts.
        offset: usize,
        /// How many bytes the field still needed.
        needed: usize,
    },
    /// A string field is not valid UTF-8.
    #[error("string at offset {offset} is not valid UTF-8")]
    BadUtf8 {
        /// Where the string's bytes start.
        offset: usize,
    },
    /// A length or count field exceeds its documented limit.
    #[error("{field} is {value}, above the limit of {max}")]
    TooLong {
        /// The field's name as the format documents it.
        field: &'static str,
        /// The value read.
        value: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes remain after the last field.
    #[error("{count} trailing bytes after the last field")]
    TrailingBytes {
        /// How many bytes were left over.
        count: usize,
    },
}

impl WireError {
    /// A short stable name for the error, shared by every format built on this reader.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "truncated",
            Self::BadUtf8 { .. } => "bad_utf8",
            Self::TooLong { .. } => "too_long",
            Self::TrailingBytes { .. } => "trailing_bytes",
        }
    }
}

/// A cursor over a byte slice that never reads past the end.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the first byte.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    /// Takes the next `len` bytes.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        if self.remaining() < len {
            return Err(WireError::Truncated {
                offset: self.offset,
                needed: len - self.remaining(),
            });
        }
        let slice = &self.bytes[self.offset..self.offset + len];
        self.offset += len;
        Ok(slice)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, WireError> {
        self.array().map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        self.array().map(u32::from_le_bytes)
    }

    /// Reads a little-endian `i32`.
    pub fn i32(&mut self) -> Result<i32, WireError> {
        self.array().map(i32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, WireError> {
        self.array().map(u64::from_le_bytes)
    }

    /// Reads a little-endian `i64`.
    pub fn i64(&mut self) -> Result<i64, WireError> {
        self.array().map(i64::from_le_bytes)
    }

    /// Reads `len` bytes as UTF-8 text, `len` already checked against its limit by the caller.
    pub fn utf8(&mut self, len: usize) -> Result<String, WireError> {
        let start = self.offset;
        let raw = self.take(len)?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| WireError::BadUtf8 { offset: start })
    }

    /// Reads a string prefixed by a `u8` length.
    pub fn str_u8(&mut self) -> Result<String, WireError> {
        let len = usize::from(self.u8()?);
        self.utf8(len)
    }

    /// Reads a `u16` length and checks it against `max` before anything is allocated.
    pub fn len_u16(&mut self, field: &'static str, max: usize) -> Result<usize, WireError> {
        let value = usize::from(self.u16()?);
        check_len(field, value, max)
    }

    /// Fails unless every byte has been consumed.
    pub fn finish(&self) -> Result<(), WireError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(WireError::TrailingBytes { count }),
        }
    }
}

/// Fails when `value` is above `max`.
pub fn check_len(field: &'static str, value: usize, max: usize) -> Result<usize, WireError> {
    if value > max {
        Err(WireError::TooLong { field, value, max })
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_refuses_to_overrun() {
        let mut reader = Reader::new(&[1, 0, 2, 0, 0, 0, 9]);
        assert_eq!(reader.u16(), Ok(1));
        assert_eq!(reader.u32(), Ok(2));
        assert_eq!(
            reader.u16(),
            Err(WireError::Truncated {
                offset: 6,
                needed: 1
            })
        );
        assert_eq!(reader.finish(), Err(WireError::TrailingBytes { count: 1 }));
    }

    #[test]
    fn length_is_checked_before_reading() {
        let mut reader = Reader::new(&[0xff, 0xff]);
        assert_eq!(
            reader.len_u16("payload", 10),
            Err(WireError::TooLong {
                field: "payload",
                value: 0xffff,
                max: 10
            })
        );
        assert_eq!(
            Reader::new(&[2, 0xff, 0xfe]).str_u8(),
            Err(WireError::BadUtf8 { offset: 1 })
        );
    }
}
