//! Fonts: turning the codes a PDF shows into Unicode text and glyph widths.
//!
//! Text positions need glyph widths (where one word ends and the next begins), which lopdf's
//! own `extract_text` ignores; that is why the words of a table cell come out glued together.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object};

/// What the layout needs of a font: how many bytes make one code, what each code reads as,
/// and how far each code advances (in thousandths of the font size).
#[derive(Debug)]
pub struct Font {
    /// 1 for simple fonts, 2 for composite (Type0) fonts with Identity-H.
    pub code_len: u8,
    unicode: HashMap<u32, String>,
    fallback: Option<[char; 256]>,
    widths: HashMap<u32, f32>,
    default_width: f32,
    /// Glyph space to text space (1/1000 except for Type3 fonts).
    pub width_scale: f32,
}

impl Font {
    /// Reads a font dictionary. Never fails: what cannot be read becomes a replacement
    /// character (so the page can be judged unreadable) and a default width.
    pub fn load(
        doc: &Document,
        dict: &Dictionary,
        max_stream_bytes: usize,
    ) -> Result<Font, String> {
        let subtype = name_of(doc, dict, b"Subtype").unwrap_or_default();
        let is_type0 = subtype == b"Type0";
        let mut font = Font {
            code_len: if is_type0 { 2 } else { 1 },
            unicode: HashMap::new(),
            fallback: None,
            widths: HashMap::new(),
            default_width: if is_type0 { 1000.0 } else { 500.0 },
            width_scale: 0.001,
        };
        if let Some(stream) =
            deref(doc, dict.get(b"ToUnicode").ok()).and_then(|o| o.as_stream().ok())
        {
            let bytes = stream
                .get_plain_content_with_limit(max_stream_bytes)
                .map_err(|e| format!("font ToUnicode map: {e}"))?;
            let (map, one_byte) = parse_to_unicode(&bytes);
            font.unicode = map;
            if !is_type0 && one_byte == Some(false) {
                font.code_len = 2;
            }
        }
        if !is_type0 && font.unicode.is_empty() {
            font.fallback = Some(simple_encoding(doc, dict, max_stream_bytes));
        }
        if is_type0 {
            if let Some(desc) = deref(doc, dict.get(b"DescendantFonts").ok())
                .and_then(|o| o.as_array().ok())
                .and_then(|a| deref(doc, a.first()))
                .and_then(|o| o.as_dict().ok())
            {
                if let Some(dw) = deref(doc, desc.get(b"DW").ok()).and_then(number) {
                    font.default_width = dw;
                }
                if let Some(w) = deref(doc, desc.get(b"W").ok()).and_then(|o| o.as_array().ok()) {
                    read_cid_widths(doc, w, &mut font.widths);
                }
            }
        } else {
            let first = deref(doc, dict.get(b"FirstChar").ok())
                .and_then(number)
                .unwrap_or(0.0) as u32;
            if let Some(w) = deref(doc, dict.get(b"Widths").ok()).and_then(|o| o.as_array().ok()) {
                for (i, v) in w.iter().enumerate() {
                    if let Some(v) = deref(doc, Some(v)).and_then(number) {
                        font.widths.insert(first + i as u32, v);
                    }
                }
            }
            if let Some(missing) = deref(doc, dict.get(b"FontDescriptor").ok())
                .and_then(|o| o.as_dict().ok())
                .and_then(|d| deref(doc, d.get(b"MissingWidth").ok()))
                .and_then(number)
                .filter(|w| *w > 0.0)
            {
                font.default_width = missing;
            }
            if subtype == b"Type3"
                && let Some(m) = deref(doc, dict.get(b"FontMatrix").ok())
                    .and_then(|o| o.as_array().ok())
                    .and_then(|a| deref(doc, a.first()))
                    .and_then(number)
            {
                font.width_scale = m;
            }
        }
        Ok(font)
    }

    /// Splits shown bytes into codes.
    pub fn codes<'b>(&self, bytes: &'b [u8]) -> impl Iterator<Item = u32> + 'b {
        let len = self.code_len as usize;
        bytes
            .chunks(len)
            .map(|c| c.iter().fold(0u32, |acc, b| (acc << 8) | *b as u32))
    }

    /// The text a code stands for; `None` when the font does not say.
    pub fn text(&self, code: u32) -> Option<std::borrow::Cow<'_, str>> {
        if let Some(s) = self.unicode.get(&code) {
            return Some(std::borrow::Cow::Borrowed(s.as_str()));
        }
        if let Some(table) = &self.fallback
            && code < 256
            && table[code as usize] != '\0'
        {
            return Some(std::borrow::Cow::Owned(table[code as usize].to_string()));
        }
        None
    }

    /// Advance of a code in glyph space units (usually thousandths of the font size).
    pub fn width(&self, code: u32) -> f32 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
    }
}

fn deref<'a>(doc: &'a Document, obj: Option<&'a Object>) -> Option<&'a Object> {
    let mut obj = obj?;
    for _ in 0..8 {
        match obj {
            Object::Reference(id) => obj = doc.get_object(*id).ok()?,
            other => return Some(other),
        }
    }
    None
}

fn number(obj: &Object) -> Option<f32> {
    match obj {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

fn name_of(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<Vec<u8>> {
    deref(doc, dict.get(key).ok())
        .and_then(|o| o.as_name().ok())
        .map(|n| n.to_vec())
}

fn read_cid_widths(doc: &Document, w: &[Object], out: &mut HashMap<u32, f32>) {
    let mut i = 0;
    while i < w.len() {
        let Some(first) = deref(doc, w.get(i)).and_then(number) else {
            return;
        };
        match deref(doc, w.get(i + 1)) {
            Some(Object::Array(list)) => {
                for (k, v) in list.iter().enumerate() {
                    if let Some(v) = deref(doc, Some(v)).and_then(number) {
                        out.insert(first as u32 + k as u32, v);
                    }
                }
                i += 2;
            }
            Some(last) => {
                let (Some(last), Some(width)) =
                    (number(last), deref(doc, w.get(i + 2)).and_then(number))
                else {
                    return;
                };
                // A hostile range must not allocate without bound.
                let (first, last) = (first as u32, (last as u32).min(first as u32 + 65_536));
                for c in first..=last {
                    out.insert(c, width);
                }
                i += 3;
            }
            None => return,
        }
    }
}

/// The 256-entry table of a simple font without a ToUnicode map, through lopdf's encodings.
fn simple_encoding(doc: &Document, dict: &Dictionary, max_stream_bytes: usize) -> [char; 256] {
    let mut table = ['\0'; 256];
    if let Ok(enc) = dict.get_font_encoding_with_limit(doc, max_stream_bytes) {
        for (b, slot) in table.iter_mut().enumerate() {
            if let Ok(s) = enc.bytes_to_string(&[b as u8]) {
                let mut chars = s.chars();
                if let (Some(c), None) = (chars.next(), chars.next())
                    && c != '\u{fffd}'
                {
                    *slot = c;
                }
            }
        }
    }
    table
}

/// Parses a ToUnicode CMap into code → text, and whether its code space is one byte.
fn parse_to_unicode(data: &[u8]) -> (HashMap<u32, String>, Option<bool>) {
    #[derive(Debug)]
    enum Tok {
        Hex(Vec<u8>),
        Open,
        Close,
        Word(Vec<u8>),
    }
    let mut toks = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        match c {
            b'<' if data.get(i + 1) != Some(&b'<') => {
                let start = i + 1;
                let end = data[start..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(data.len(), |p| start + p);
                let digits: Vec<u8> = data[start..end]
                    .iter()
                    .filter(|b| b.is_ascii_hexdigit())
                    .copied()
                    .collect();
                let bytes = digits
                    .chunks(2)
                    .map(|p| {
                        let hi = (p[0] as char).to_digit(16).unwrap_or(0);
                        let lo = p
                            .get(1)
                            .and_then(|b| (*b as char).to_digit(16))
                            .unwrap_or(0);
                        (hi * 16 + lo) as u8
                    })
                    .collect();
                toks.push(Tok::Hex(bytes));
                i = end + 1;
            }
            b'[' => {
                toks.push(Tok::Open);
                i += 1;
            }
            b']' => {
                toks.push(Tok::Close);
                i += 1;
            }
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            c if c.is_ascii_alphanumeric() => {
                let start = i;
                while i < data.len() && data[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                toks.push(Tok::Word(data[start..i].to_vec()));
            }
            _ => i += 1,
        }
    }
    let code = |b: &[u8]| b.iter().fold(0u32, |a, x| (a << 8) | *x as u32);
    let utf16 = |b: &[u8]| {
        let units: Vec<u16> = b
            .chunks(2)
            .map(|p| ((p[0] as u16) << 8) | *p.get(1).unwrap_or(&0) as u16)
            .collect();
        String::from_utf16_lossy(&units)
    };
    let mut map = HashMap::new();
    let mut one_byte = None;
    let mut section: &[u8] = b"";
    let mut k = 0;
    while k < toks.len() {
        match &toks[k] {
            Tok::Word(w) if w.starts_with(b"begin") => {
                section = match w.as_slice() {
                    b"begincodespacerange" => b"cs",
                    b"beginbfchar" => b"char",
                    b"beginbfrange" => b"range",
                    _ => b"",
                };
                k += 1;
            }
            Tok::Word(w) if w.starts_with(b"end") => {
                section = b"";
                k += 1;
            }
            Tok::Hex(lo) if section == b"cs" => {
                one_byte.get_or_insert(lo.len() == 1);
                k += 2;
            }
            Tok::Hex(src) if section == b"char" => {
                if let Some(Tok::Hex(dst)) = toks.get(k + 1) {
                    map.insert(code(src), utf16(dst));
                }
                k += 2;
            }
            Tok::Hex(lo) if section == b"range" => {
                let (Some(Tok::Hex(hi)), Some(next)) = (toks.get(k + 1), toks.get(k + 2)) else {
                    break;
                };
                let (lo_c, hi_c) = (code(lo), code(hi).min(code(lo) + 65_536));
                match next {
                    Tok::Hex(dst) => {
                        let base: Vec<u16> = dst
                            .chunks(2)
                            .map(|p| ((p[0] as u16) << 8) | *p.get(1).unwrap_or(&0) as u16)
                            .collect();
                        for (n, c) in (lo_c..=hi_c).enumerate() {
                            let mut units = base.clone();
                            if let Some(last) = units.last_mut() {
                                *last = last.wrapping_add(n as u16);
                            }
                            map.insert(c, String::from_utf16_lossy(&units));
                        }
                        k += 3;
                    }
                    Tok::Open => {
                        let mut j = k + 3;
                        let mut c = lo_c;
                        while let Some(Tok::Hex(dst)) = toks.get(j) {
                            if c <= hi_c {
                                map.insert(c, utf16(dst));
                            }
                            c += 1;
                            j += 1;
                        }
                        k = j + 1;
                    }
                    _ => k += 3,
                }
            }
            _ => k += 1,
        }
    }
    (map, one_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_unicode_bfchar_and_bfrange() {
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
            1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0003> <0020> <0011> <00660069> endbfchar\n\
            2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<0061> <0062>] endbfrange\n\
            endcmap";
        let (map, one_byte) = parse_to_unicode(cmap);
        assert_eq!(one_byte, Some(false));
        assert_eq!(map[&0x0003], " ");
        assert_eq!(map[&0x0011], "fi");
        assert_eq!(map[&0x0024], "A");
        assert_eq!(map[&0x0026], "C");
        assert_eq!(map[&0x0030], "a");
        assert_eq!(map[&0x0031], "b");
    }

    #[test]
    fn one_byte_code_space() {
        let (map, one_byte) =
            parse_to_unicode(b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <05> <0020> endbfchar");
        assert_eq!(one_byte, Some(true));
        assert_eq!(map[&5], " ");
    }
}
