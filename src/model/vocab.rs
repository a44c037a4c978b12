//! Whisper's byte-level BPE vocabulary, from a Hugging Face `tokenizer.json` to raw bytes.

use std::collections::HashMap;

use serde::Deserialize;

use super::ImportError;

/// Ids `0..=LAST_TEXT_TOKEN` are the text tokens a ggml file lists; special tokens above
/// are implied by `n_vocab`.
pub const LAST_TEXT_TOKEN: u32 = 50256;

#[derive(Deserialize)]
struct TokenizerFile {
    model: TokenizerModel,
}

#[derive(Deserialize)]
struct TokenizerModel {
    vocab: HashMap<String, u32>,
}

/// GPT-2's map from printable stand-in characters back to the bytes they encode.
fn unicode_to_byte() -> HashMap<char, u8> {
    let mut bs: Vec<u32> = (b'!' as u32..=b'~' as u32)
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    bs.into_iter()
        .zip(cs)
        .map(|(b, c)| (char::from_u32(c).expect("valid code point"), b as u8))
        .collect()
}

/// Parse `tokenizer.json` and return the byte strings of ids `0..=LAST_TEXT_TOKEN`.
pub fn text_tokens(tokenizer_json: &str) -> Result<Vec<Vec<u8>>, ImportError> {
    let file: TokenizerFile = serde_json::from_str(tokenizer_json)
        .map_err(|e| ImportError::BadTokenizer(e.to_string()))?;
    let map = unicode_to_byte();
    let mut tokens: Vec<Option<Vec<u8>>> = vec![None; LAST_TEXT_TOKEN as usize + 1];
    for (text, id) in &file.model.vocab {
        if *id > LAST_TEXT_TOKEN {
            continue;
        }
        let bytes: Option<Vec<u8>> = text.chars().map(|c| map.get(&c).copied()).collect();
        // Special tokens such as <|endoftext|> are not byte-encoded: keep them as written.
        tokens[*id as usize] = Some(bytes.unwrap_or_else(|| text.as_bytes().to_vec()));
    }
    tokens
        .into_iter()
        .enumerate()
        .map(|(id, t)| {
            t.ok_or_else(|| ImportError::BadTokenizer(format!("token id {id} is missing")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_map_is_a_bijection() {
        let m = unicode_to_byte();
        assert_eq!(m.len(), 256);
        let mut seen: Vec<u8> = m.values().copied().collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 256);
        assert_eq!(m[&'Ġ'], b' ');
        assert_eq!(m[&'a'], b'a');
    }

    #[test]
    fn missing_ids_are_reported() {
        let e = text_tokens(r#"{"model":{"vocab":{"a":0}}}"#).unwrap_err();
        assert!(e.to_string().contains("token id 1 is missing"), "{e}");
    }

    #[test]
    fn malformed_json_is_reported() {
        assert!(matches!(
            text_tokens("{"),
            Err(ImportError::BadTokenizer(_))
        ));
    }
}
