//! Runs a page's content stream far enough to know where each glyph stands: the glyphs in
//! content order, with their positions and sizes, for [`super::layout`] to write out; and
//! whether the page paints images (a scanned page), at what resolution.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::fonts::Font;
use super::lexer::{self, Operand};

/// One shown glyph, in default user space (points, y up).
#[derive(Debug, Clone)]
pub struct Glyph {
    /// The text it shows.
    pub text: String,
    /// Left edge.
    pub x: f32,
    /// Baseline.
    pub y: f32,
    /// Right edge.
    pub end_x: f32,
    /// Font size (points).
    pub size: f32,
}

/// What one page's content gave.
#[derive(Debug, Default)]
pub struct PageContent {
    /// The glyphs, in content order.
    pub glyphs: Vec<Glyph>,
    /// Glyphs whose font gave no Unicode value.
    pub unmapped: usize,
    /// The page paints at least one image (a scanned page, when it has no text).
    pub has_image: bool,
    /// The finest resolution (dots per inch, the higher of its two axes) of the images the
    /// page paints: OCR renders the page at this resolution, not blurred up or down.
    pub image_dpi: Option<f32>,
}

/// Limits that keep a hostile page from running away.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes any one decoded stream may inflate to.
    pub max_stream_bytes: usize,
    /// Glyphs per page.
    pub max_glyphs: usize,
    /// Nesting of form XObjects.
    pub max_form_depth: usize,
    /// Drawing operations per page, forms included (a form that draws itself twice at every
    /// level would otherwise be exponential).
    pub max_ops: usize,
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

#[derive(Clone)]
struct State {
    ctm: Matrix,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
    rise: f32,
    font: Option<Rc<Font>>,
    font_size: f32,
}

/// Caches fonts across the pages of one document (they are usually shared).
#[derive(Default)]
pub struct FontCache {
    by_id: HashMap<ObjectId, Rc<Font>>,
}

/// Runs a page's content streams and collects what they show.
pub struct Interpreter<'a> {
    doc: &'a Document,
    limits: Limits,
    fonts: &'a mut FontCache,
    out: PageContent,
    ops: usize,
}

impl<'a> Interpreter<'a> {
    /// An interpreter over `doc`, within `limits`, sharing `fonts` across pages.
    pub fn new(doc: &'a Document, limits: Limits, fonts: &'a mut FontCache) -> Self {
        Interpreter {
            doc,
            limits,
            fonts,
            out: PageContent::default(),
            ops: 0,
        }
    }

    /// Interprets one page.
    pub fn run_page(mut self, page_id: ObjectId) -> Result<PageContent, String> {
        let content = self
            .doc
            .get_page_content_with_limit(page_id, self.limits.max_stream_bytes)
            .map_err(|e| match e {
                lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => format!(
                    "the page content inflates beyond the limit of {} bytes (a decompression bomb?)",
                    self.limits.max_stream_bytes
                ),
                other => format!("page content: {other}"),
            })?;
        let resources = page_resources(self.doc, page_id);
        let state = State {
            ctm: IDENTITY,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
            font: None,
            font_size: 0.0,
        };
        self.run(&content, &resources, state, 0)?;
        Ok(self.out)
    }

    fn font(&mut self, resources: &[&Dictionary], name: &[u8]) -> Option<Rc<Font>> {
        for res in resources {
            let Some(fonts) = deref_dict(self.doc, res.get(b"Font").ok()) else {
                continue;
            };
            let Ok(entry) = fonts.get(name) else {
                continue;
            };
            if let Object::Reference(id) = entry {
                if let Some(f) = self.fonts.by_id.get(id) {
                    return Some(f.clone());
                }
                let dict = self.doc.get_dictionary(*id).ok()?;
                let font = Rc::new(Font::load(self.doc, dict, self.limits.max_stream_bytes).ok()?);
                self.fonts.by_id.insert(*id, font.clone());
                return Some(font);
            }
            if let Object::Dictionary(dict) = entry {
                return Font::load(self.doc, dict, self.limits.max_stream_bytes)
                    .ok()
                    .map(Rc::new);
            }
        }
        None
    }

    fn run(
        &mut self,
        content: &[u8],
        resources: &[&'a Dictionary],
        mut state: State,
        depth: usize,
    ) -> Result<(), String> {
        let mut stack: Vec<State> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        lexer::for_each_op(content, |op, args| {
            self.ops += 1;
            if self.ops > self.limits.max_ops {
                return Err(format!(
                    "more than {} drawing operations on one page (a self-repeating form?); over the limit",
                    self.limits.max_ops
                ));
            }
            let nums = || -> Vec<f32> { args.iter().filter_map(Operand::number).collect() };
            match op {
                b"q" if stack.len() < 256 => stack.push(state.clone()),
                b"Q" => {
                    if let Some(s) = stack.pop() {
                        state = s;
                    }
                }
                b"cm" => {
                    let n = nums();
                    if n.len() == 6 {
                        state.ctm = mul(&[n[0], n[1], n[2], n[3], n[4], n[5]], &state.ctm);
                    }
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    if let (Some(Operand::Name(name)), Some(size)) =
                        (args.first(), args.get(1).and_then(Operand::number))
                    {
                        state.font = self.font(resources, name);
                        state.font_size = size;
                    }
                }
                b"Tc" => state.char_spacing = nums().first().copied().unwrap_or(0.0),
                b"Tw" => state.word_spacing = nums().first().copied().unwrap_or(0.0),
                b"Tz" => state.h_scale = nums().first().copied().unwrap_or(100.0) / 100.0,
                b"TL" => state.leading = nums().first().copied().unwrap_or(0.0),
                b"Ts" => state.rise = nums().first().copied().unwrap_or(0.0),
                b"Td" | b"TD" => {
                    let n = nums();
                    if n.len() == 2 {
                        if op == b"TD" {
                            state.leading = -n[1];
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, n[0], n[1]], &tlm);
                        tm = tlm;
                    }
                }
                b"Tm" => {
                    let n = nums();
                    if n.len() == 6 {
                        tlm = [n[0], n[1], n[2], n[3], n[4], n[5]];
                        tm = tlm;
                    }
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if op != b"Tj" {
                        if op == b"\"" {
                            let n = nums();
                            if n.len() >= 2 {
                                state.word_spacing = n[0];
                                state.char_spacing = n[1];
                            }
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &tlm);
                        tm = tlm;
                    }
                    if let Some(Operand::String(bytes)) = args.last() {
                        self.show(bytes, &state, &mut tm)?;
                    }
                }
                b"TJ" => {
                    if let Some(Operand::Array(items)) = args.first() {
                        for item in items {
                            match item {
                                Operand::String(bytes) => self.show(bytes, &state, &mut tm)?,
                                Operand::Number(n) => {
                                    let tx = -n / 1000.0 * state.font_size * state.h_scale;
                                    tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                }
                                _ => {}
                            }
                        }
                    }
                }
                b"BI" => self.out.has_image = true,
                b"Do" => {
                    if let Some(Operand::Name(name)) = args.first() {
                        self.x_object(resources, name, &state, depth)?;
                    }
                }
                _ => {}
            }
            Ok(())
        })
        .map_err(|e| {
            if e.contains("over the limit") || e.contains("more than") {
                e
            } else {
                format!("content stream: {e}")
            }
        })
    }

    fn x_object(
        &mut self,
        resources: &[&'a Dictionary],
        name: &[u8],
        state: &State,
        depth: usize,
    ) -> Result<(), String> {
        let doc = self.doc;
        let stream = resources.iter().find_map(|res| {
            let xobjects = deref_dict(doc, res.get(b"XObject").ok())?;
            let mut obj = xobjects.get(name).ok()?;
            for _ in 0..8 {
                match obj {
                    Object::Reference(id) => obj = doc.get_object(*id).ok()?,
                    _ => break,
                }
            }
            obj.as_stream().ok()
        });
        let Some(stream) = stream else {
            return Ok(());
        };
        let subtype = stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        if subtype == b"Image" {
            self.out.has_image = true;
            // The image's unit square lands on the page through the CTM: its size in points.
            let int = |k: &[u8]| {
                stream
                    .dict
                    .get(k)
                    .ok()
                    .and_then(|o| o.as_i64().ok())
                    .unwrap_or(0) as f32
            };
            let (w, h) = (int(b"Width"), int(b"Height"));
            let c = &state.ctm;
            let (wpt, hpt) = (
                (c[0] * c[0] + c[1] * c[1]).sqrt(),
                (c[2] * c[2] + c[3] * c[3]).sqrt(),
            );
            if w > 0.0 && h > 0.0 && wpt > 36.0 && hpt > 36.0 {
                let dpi = (w / (wpt / 72.0)).max(h / (hpt / 72.0));
                self.out.image_dpi = Some(self.out.image_dpi.map_or(dpi, |d| d.max(dpi)));
            }
            return Ok(());
        }
        if subtype != b"Form" || depth >= self.limits.max_form_depth {
            return Ok(());
        }
        let content = stream
            .decompressed_content_with_limit(self.limits.max_stream_bytes)
            .or_else(|_| {
                // Streams without filters are not "decompressed"; use them as they are.
                if stream.dict.get(b"Filter").is_err() {
                    Ok(stream.content.clone())
                } else {
                    Err(())
                }
            })
            .map_err(|_| {
                "form XObject stream could not be decoded or is over the size limit".to_string()
            })?;
        let mut inner = state.clone();
        if let Ok(m) = stream.dict.get(b"Matrix").and_then(Object::as_array) {
            let n: Vec<f32> = m.iter().filter_map(num).collect();
            if n.len() == 6 {
                inner.ctm = mul(&[n[0], n[1], n[2], n[3], n[4], n[5]], &inner.ctm);
            }
        }
        let mut res: Vec<&'a Dictionary> = Vec::new();
        if let Some(own) = deref_dict(doc, stream.dict.get(b"Resources").ok()) {
            res.push(own);
        }
        res.extend_from_slice(resources);
        self.run(&content, &res, inner, depth + 1)
    }

    fn show(&mut self, bytes: &[u8], state: &State, tm: &mut Matrix) -> Result<(), String> {
        let Some(font) = state.font.clone() else {
            return Ok(());
        };
        for code in font.codes(bytes) {
            let trm = mul(
                &mul(
                    &[
                        state.font_size * state.h_scale,
                        0.0,
                        0.0,
                        state.font_size,
                        0.0,
                        state.rise,
                    ],
                    tm,
                ),
                &state.ctm,
            );
            let text = font.text(code);
            let is_space_code = font.code_len == 1 && code == 32;
            let w = font.width(code) * font.width_scale;
            let tx = (w * state.font_size
                + state.char_spacing
                + if is_space_code {
                    state.word_spacing
                } else {
                    0.0
                })
                * state.h_scale;
            let next = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
            let end = mul(&next, &state.ctm);
            let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt();
            match text {
                Some(t) => self.out.glyphs.push(Glyph {
                    text: t.into_owned(),
                    x: trm[4],
                    y: trm[5],
                    end_x: end[4],
                    size,
                }),
                None => {
                    self.out.unmapped += 1;
                    self.out.glyphs.push(Glyph {
                        text: "\u{fffd}".into(),
                        x: trm[4],
                        y: trm[5],
                        end_x: end[4],
                        size,
                    });
                }
            }
            if self.out.glyphs.len() > self.limits.max_glyphs {
                return Err(format!(
                    "more than {} glyphs on one page",
                    self.limits.max_glyphs
                ));
            }
            *tm = next;
        }
        Ok(())
    }
}

fn num(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

fn deref_dict<'a>(doc: &'a Document, obj: Option<&'a Object>) -> Option<&'a Dictionary> {
    let mut obj = obj?;
    for _ in 0..8 {
        match obj {
            Object::Reference(id) => obj = doc.get_object(*id).ok()?,
            Object::Dictionary(d) => return Some(d),
            _ => return None,
        }
    }
    None
}

fn page_resources(doc: &Document, page_id: ObjectId) -> Vec<&Dictionary> {
    let Ok((own, ids)) = doc.get_page_resources(page_id) else {
        return Vec::new();
    };
    let mut out: Vec<&Dictionary> = own.into_iter().collect();
    out.extend(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()));
    out
}
