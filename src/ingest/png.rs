//! A minimal PNG writer for page images in the report: greyscale, 1 bit per pixel when the
//! page is a bilevel scan (a fax), else 8 bits. No filtering: scanned pages are mostly runs
//! of white, which zlib packs well.
//!
//! A fax rendered by poppler comes out with a few grey levels along the edges of the marks
//! (its image scaling smooths); when nearly every pixel is black or white anyway, the page is
//! written at 1 bit, split at mid-grey: a fifth of the size of 8-bit grey (measured on the
//! dev corpus' 51-page fax: 36 KB against 182 KB for a page), and what the fax holds.

use std::io::Write;

use super::rules::Gray;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// Whether nearly every pixel (9 in 10) is within a sixteenth of black or of white (a fax
/// page of the dev corpus rendered by poppler: 94%).
fn is_bilevel(img: &Gray) -> bool {
    let white = img.maxval.max(1) as u32;
    let near = img
        .pixels
        .iter()
        .filter(|&&p| {
            let p = p as u32;
            p * 16 <= white || p * 16 >= white * 15
        })
        .count();
    near * 10 >= img.pixels.len() * 9
}

/// The image as a PNG.
pub fn encode(img: &Gray) -> Vec<u8> {
    let (w, h) = (img.width, img.height);
    let white = img.maxval.max(1);
    let bilevel = is_bilevel(img);
    let mid = white.div_ceil(2);
    let mut raw = Vec::with_capacity(if bilevel {
        (w.div_ceil(8) + 1) * h
    } else {
        (w + 1) * h
    });
    for row in img.pixels.chunks(w.max(1)).take(h) {
        raw.push(0); // filter: none
        if bilevel {
            for byte in row.chunks(8) {
                let mut b = 0u8;
                for (i, &p) in byte.iter().enumerate() {
                    if p >= mid {
                        b |= 0x80 >> i;
                    }
                }
                raw.push(b);
            }
        } else if white == 255 {
            raw.extend_from_slice(row);
        } else {
            raw.extend(row.iter().map(|&p| (p as u32 * 255 / white as u32) as u8));
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&raw).expect("in memory");
    let idat = z.finish().expect("in memory");
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[if bilevel { 1 } else { 8 }, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilevel_and_grey_images_round_trip_through_zlib() {
        let fax = Gray {
            width: 10,
            height: 2,
            maxval: 255,
            pixels: [[0u8; 10], [255u8; 10]].concat(),
        };
        let png = encode(&fax);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(png[24], 1, "bilevel: one bit per pixel");
        // IDAT inflates to rows of filter byte + 2 packed bytes.
        let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(&png[41..41 + len]),
            &mut raw,
        )
        .unwrap();
        assert_eq!(raw, [0, 0x00, 0x00, 0, 0xff, 0xc0]);
        assert!(png.ends_with(&[0xae, 0x42, 0x60, 0x82]), "IEND and its CRC");

        let grey = Gray {
            width: 2,
            height: 1,
            maxval: 255,
            pixels: vec![12, 200],
        };
        assert_eq!(encode(&grey)[24], 8);

        // A fax with smoothed edges: one grey pixel in forty is still a fax.
        let mut pixels = vec![255u8; 40];
        pixels[3] = 0;
        pixels[7] = 100;
        let smoothed = Gray {
            width: 40,
            height: 1,
            maxval: 255,
            pixels,
        };
        assert_eq!(encode(&smoothed)[24], 1);
    }
}
