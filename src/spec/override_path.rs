//! The path syntax of `--set` overrides and `--knob`s: dotted keys, quoted keys that hold
//! dots or spaces (`endpoints."GET /".service`) and list items as `[i]` or `.i`, parsed into
//! segments and formatted back for messages.

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Parses a dotted path with quoted keys and `[i]` indices.
pub fn parse_path(text: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    let mut chars = text.chars().peekable();
    let mut expect_key = true;
    while let Some(&c) = chars.peek() {
        match c {
            '"' | '\'' => {
                chars.next();
                let mut key = String::new();
                loop {
                    match chars.next() {
                        Some(ch) if ch == c => break,
                        Some(ch) => key.push(ch),
                        None => return Err(format!("`{text}`: a quote is not closed")),
                    }
                }
                segs.push(Seg::Key(key));
                expect_key = false;
            }
            '[' => {
                chars.next();
                let mut n = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(ch) => n.push(ch),
                        None => return Err(format!("`{text}`: `[` is not closed")),
                    }
                }
                let i = n
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("`{text}`: `[{n}]` needs a list index such as [0]"))?;
                segs.push(Seg::Index(i));
                expect_key = false;
            }
            '.' => {
                chars.next();
                if expect_key {
                    return Err(format!("`{text}`: empty key in the path"));
                }
                expect_key = true;
            }
            _ => {
                if !expect_key {
                    return Err(format!(
                        "`{text}`: put a `.` between keys (quote keys that hold dots: `endpoints.\"GET /\".service`)"
                    ));
                }
                let mut key = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch == '.' || ch == '[' {
                        break;
                    }
                    key.push(ch);
                    chars.next();
                }
                let key = key.trim().to_string();
                segs.push(match key.parse::<usize>() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => Seg::Key(key),
                });
                expect_key = false;
            }
        }
    }
    if segs.is_empty() || expect_key {
        return Err(format!(
            "`{text}`: the path is empty or ends with `.`; write e.g. `scenarios.load.vus=800`"
        ));
    }
    Ok(segs)
}

/// Formats a path for messages.
pub fn show_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                if k.contains(['.', ' ', '[', '"']) || k.is_empty() {
                    s.push_str(&format!("\"{k}\""));
                } else {
                    s.push_str(k);
                }
            }
        }
    }
    s
}
