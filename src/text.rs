//! Text helpers shared across stages. The one normaliser: rule patterns, recognised speech,
//! the ASR guard and `model verify` all compare text in this form, so a pattern matches what
//! speech-to-text produces: lowercase words separated by single spaces, punctuation dropped,
//! fillers ("um", "uh") dropped, stutters ("I I I think") collapsed, common contractions
//! expanded, and number words written as digits ("fifteen" → "15", "twenty four" → "24").
//! Also: the line and column of a byte offset, for error messages about files.

const FILLERS: &[&str] = &[
    "um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "ahh", "hmm", "hm", "mm", "mhm",
];

fn expand_contraction(word: &str) -> Option<&'static [&'static str]> {
    Some(match word {
        "i'm" => &["i", "am"],
        "we're" => &["we", "are"],
        "you're" => &["you", "are"],
        "they're" => &["they", "are"],
        "i've" => &["i", "have"],
        "we've" => &["we", "have"],
        "you've" => &["you", "have"],
        "they've" => &["they", "have"],
        "i'll" => &["i", "will"],
        "we'll" => &["we", "will"],
        "you'll" => &["you", "will"],
        "they'll" => &["they", "will"],
        "it'll" => &["it", "will"],
        "i'd" => &["i", "would"],
        "we'd" => &["we", "would"],
        "you'd" => &["you", "would"],
        "they'd" => &["they", "would"],
        "it's" => &["it", "is"],
        "that's" => &["that", "is"],
        "what's" => &["what", "is"],
        "there's" => &["there", "is"],
        "here's" => &["here", "is"],
        "who's" => &["who", "is"],
        "where's" => &["where", "is"],
        "how's" => &["how", "is"],
        "he's" => &["he", "is"],
        "she's" => &["she", "is"],
        "let's" => &["let", "us"],
        "can't" => &["can", "not"],
        "cannot" => &["can", "not"],
        "won't" => &["will", "not"],
        "don't" => &["do", "not"],
        "doesn't" => &["does", "not"],
        "didn't" => &["did", "not"],
        "isn't" => &["is", "not"],
        "aren't" => &["are", "not"],
        "wasn't" => &["was", "not"],
        "weren't" => &["were", "not"],
        "haven't" => &["have", "not"],
        "hasn't" => &["has", "not"],
        "wouldn't" => &["would", "not"],
        "shouldn't" => &["should", "not"],
        "couldn't" => &["could", "not"],
        "gonna" => &["going", "to"],
        "wanna" => &["want", "to"],
        "gotta" => &["got", "to"],
        _ => return None,
    })
}

fn small_number(word: &str) -> Option<u64> {
    Some(match word {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    })
}

fn scale(word: &str) -> Option<u64> {
    Some(match word {
        "hundred" => 100,
        "thousand" => 1_000,
        "million" => 1_000_000,
        _ => return None,
    })
}

/// Builds normalised text word by word: drops fillers, expands contractions, collapses
/// stutters, and notes whether any number word needs folding.
struct Builder<'a> {
    out: &'a mut String,
    /// Byte ranges of the last words written, newest last (enough to see a repeated pair).
    recent: [(usize, usize); 4],
    count: usize,
    /// How many of `recent` still describe words in `out` (a collapsed stutter removes two,
    /// and the slots they used no longer hold older words).
    valid: usize,
    has_number_word: bool,
}

impl Builder<'_> {
    fn word(&self, back: usize) -> &str {
        debug_assert!(back <= self.valid);
        let (s, e) = self.recent[(self.count - back) % 4];
        &self.out[s..e]
    }

    fn push_word(&mut self, w: &str) {
        if self.valid > 0 && self.word(1) == w {
            return;
        }
        if small_number(w).is_some() {
            self.has_number_word = true;
        }
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        let start = self.out.len();
        self.out.push_str(w);
        self.recent[self.count % 4] = (start, self.out.len());
        self.count += 1;
        self.valid = (self.valid + 1).min(4);
        // "we can we can" → "we can"
        if self.valid == 4 && self.word(4) == self.word(2) && self.word(3) == self.word(1) {
            let cut = self.recent[(self.count - 3) % 4].1;
            self.out.truncate(cut);
            self.count -= 2;
            self.valid = 2;
        }
    }

    fn push_raw(&mut self, w: &str) {
        if FILLERS.contains(&w) {
            return;
        }
        match expand_contraction(w) {
            Some(parts) => parts.iter().for_each(|p| self.push_word(p)),
            None => self.push_word(w),
        }
    }
}

/// Write the normalised form of `text` into `out` (cleared first).
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    let mut b = Builder {
        out,
        recent: [(0, 0); 4],
        count: 0,
        valid: 0,
        has_number_word: false,
    };
    let mut cur = String::with_capacity(32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = if c == '\u{2019}' || c == '\u{2018}' {
            '\''
        } else {
            c
        };
        let next = chars.peek().copied();
        let keep = c.is_alphanumeric()
            || (c == '\'' && !cur.is_empty() && next.is_some_and(char::is_alphanumeric))
            || ((c == ':' || c == '.')
                && cur.as_bytes().last().is_some_and(u8::is_ascii_digit)
                && next.is_some_and(|n| n.is_ascii_digit()));
        if keep {
            if c.is_ascii() {
                cur.push(c.to_ascii_lowercase());
            } else {
                cur.extend(c.to_lowercase());
            }
        } else if !cur.is_empty() {
            b.push_raw(&cur);
            cur.clear();
        }
    }
    if !cur.is_empty() {
        b.push_raw(&cur);
    }
    if b.has_number_word {
        let folded = fold_numbers(out.split(' ').map(str::to_string).collect()).join(" ");
        *out = folded;
    }
}

/// Fold runs of number words into one digit string ("two hundred and fifty" → "250").
fn fold_numbers(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let (mut total, mut current, mut used) = (0u64, 0u64, 0usize);
        while let Some(w) = words.get(i + used) {
            if let Some(n) = small_number(w) {
                let combines = current == 0
                    || (current % 100 == 0 && n < 100)
                    || ((20..100).contains(&(current % 100)) && current % 10 == 0 && n < 10);
                if !combines {
                    break;
                }
                current += n;
            } else if w == "hundred" && (1..100).contains(&current) {
                current *= 100;
            } else if let Some(s) = scale(w).filter(|&s| s > 100 && current > 0) {
                total += current * s;
                current = 0;
            } else if w == "and"
                && current >= 100
                && current % 100 == 0
                && words
                    .get(i + used + 1)
                    .is_some_and(|n| small_number(n).is_some())
            {
                // "one hundred and five"
            } else {
                break;
            }
            used += 1;
        }
        if used == 0 {
            out.push(words[i].clone());
            i += 1;
        } else {
            out.push((total + current).to_string());
            i += used;
        }
    }
    out
}

/// Normalised word list of `text`.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Normalised text: lowercase words joined by single spaces.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A number as an error message quotes it: `21`, `0.5`, `1e308` (not 309 digits).
pub fn show_number(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e15 {
        x.to_string()
    } else {
        format!("{x:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_case_and_fillers() {
        assert_eq!(
            normalize("Um, so — I'm JUST, uh, following-up on my email?"),
            "so i am just following up on my email"
        );
    }

    #[test]
    fn stutters_collapse() {
        assert_eq!(normalize("I I I think we we should"), "i think we should");
        assert_eq!(normalize("we can we can start"), "we can start");
    }

    #[test]
    fn words_after_a_collapsed_stutter_are_compared_with_words_still_there() {
        // Found by fuzzing the pattern parser: after "an got an got" collapsed, stale ranges
        // of the removed words were compared (and sliced past the end of the text).
        assert_eq!(
            normalize("(any|an|got an) |an|got an* \0\0\x10t\0\0\0\x10te"),
            "any an got an t te"
        );
        assert_eq!(normalize("any an got an an got an x"), "any an got an x");
        assert_eq!(
            normalize("a any an got an da any teny an got an"),
            "a any an got an da any teny an got an"
        );
        assert_eq!(normalize("we can we can we can go"), "we can go");
    }

    #[test]
    fn numbers_become_digits() {
        assert_eq!(normalize("fifteen percent off"), "15 percent off");
        assert_eq!(normalize("twenty four hours"), "24 hours");
        assert_eq!(normalize("two hundred and fifty users"), "250 users");
        assert_eq!(normalize("three thousand dollars"), "3000 dollars");
        assert_eq!(normalize("at 2:30 or 10.5"), "at 2:30 or 10.5");
        assert_eq!(normalize("four twenty"), "4 20");
    }

    #[test]
    fn curly_apostrophes_and_contractions() {
        assert_eq!(
            normalize("We\u{2019}re sure it\u{2019}s fine"),
            "we are sure it is fine"
        );
        assert_eq!(normalize("don't can't won't"), "do not can not will not");
    }

    #[test]
    fn arbitrary_unicode_does_not_panic() {
        for s in [
            "",
            "''",
            "'a",
            "a'",
            "1:",
            ":1",
            "ΣΑΣ 12.",
            "🙂🙂",
            "İstanbul",
        ] {
            let _ = normalize(s);
        }
    }
}
