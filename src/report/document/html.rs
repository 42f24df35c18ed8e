//! report.html: the blocks as one self-contained HTML file (inline CSS, figures as PNG
//! data URIs, no scripts, no links to other hosts).

use crate::report::data::RunData;
use crate::report::document::blocks::{Align, Block, RenderedFigure, blocks, footer, title};
use crate::report::figures::FigureOptions;
use base64::Engine as _;
use std::fmt::Write as _;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `s` and turns Markdown's `**bold**` and `` `code` `` into HTML.
fn inline(s: &str) -> String {
    let e = esc(s);
    let mut out = String::new();
    let mut bold = false;
    let mut code = false;
    let mut rest = e.as_str();
    while let Some(i) = rest.find(['*', '`']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with("**") && !code {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[i + 2..];
        } else if rest[i..].starts_with('`') {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[i + 1..];
        } else {
            out.push('*');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

const CSS: &str = r#"
:root { --ink:#1f2328; --muted:#5f6368; --line:#d8dde3; --soft:#f6f8fa; --accent:#4e79a7;
  --pass:#2f7d32; --fail:#c41e3a; --unsure:#b7791f; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f4; color:var(--ink);
  font: 15px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 24px auto; background:#fff; padding: 36px 48px 28px;
  border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h1 { font-size: 28px; margin: 0 0 6px; letter-spacing: -.01em; }
h2 { font-size: 21px; margin: 36px 0 14px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
p { margin: 10px 0 14px; }
.meta { color: var(--muted); margin-top: 0; }
.callout { padding: 12px 16px; border-radius: 6px; border-left: 5px solid; margin: 18px 0; font-size: 16px; }
.callout.pass { background:#edf7ee; border-color: var(--pass); }
.callout.fail { background:#fdecee; border-color: var(--fail); }
.callout.unsure { background:#fdf6e7; border-color: var(--unsure); }
.table-wrap { overflow-x: auto; margin: 14px 0 22px; }
table { border-collapse: collapse; font-size: 13.5px; width: auto; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); text-align: left; font-weight: 600; border-bottom: 2px solid var(--line); vertical-align: bottom; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
code { font: 13px "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
figure { margin: 18px 0 26px; }
figure img { display:block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; color:#fff; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.unsure { background: var(--unsure); }
footer { color: var(--muted); font-size: 13px; margin-top: 30px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { body { background:#fff; } main { box-shadow:none; margin:0; padding: 0; } figure { break-inside: avoid; } }
"#;

fn badge(v: &str) -> Option<String> {
    let class = match v {
        "PASS" => "pass",
        "FAIL" => "fail",
        "INCONCLUSIVE" => "unsure",
        _ => return None,
    };
    Some(format!(r#"<span class="badge {class}">{v}</span>"#))
}

/// report.html: self-contained (inline CSS, figures as PNG data URIs, no scripts, no links
/// to other hosts).
pub fn html(data: &RunData, figs: &[RenderedFigure], opts: &FigureOptions) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        esc(&title(data)),
        esc(&title(data))
    );
    for b in blocks(data, figs, opts) {
        match b {
            Block::H2(t) => {
                let _ = writeln!(out, "<h2>{}</h2>", esc(&t));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "<p>{}</p>", inline(&t));
            }
            Block::Callout(class, t) => {
                let _ = writeln!(out, "<div class=\"callout {class}\">{}</div>", inline(&t));
            }
            Block::Table {
                header,
                align,
                rows,
            } => {
                let cls = |i: usize| {
                    if align.get(i) == Some(&Align::Right) {
                        " class=\"r\""
                    } else {
                        ""
                    }
                };
                out.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
                for (i, h) in header.iter().enumerate() {
                    let _ = write!(out, "<th{}>{}</th>", cls(i), esc(h));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for (i, c) in r.iter().enumerate() {
                        let cell = badge(c).unwrap_or_else(|| esc(c));
                        let _ = write!(out, "<td{}>{}</td>", cls(i), cell);
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table></div>\n");
            }
            Block::Figure(i) => {
                let f = &figs[i];
                let _ = writeln!(
                    out,
                    "<figure id=\"fig-{}\"><img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>",
                    esc(&f.spec.stem),
                    esc(&f.spec.title),
                    f.spec.width,
                    f.spec.height,
                    b64.encode(&f.png),
                    esc(&f.spec.caption)
                );
            }
        }
    }
    let _ = write!(
        out,
        "<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        inline(&footer(data))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup() {
        assert_eq!(
            inline("a **b** `c<d`"),
            "a <strong>b</strong> <code>c&lt;d</code>"
        );
        assert_eq!(inline("p(95)<500"), "p(95)&lt;500");
    }
}
