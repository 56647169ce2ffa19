//! The byte-wise checker against `serde_json`: hand-picked cases, strings
//! with a special byte at every offset, generated and mutated documents.

use super::*;

/// Whether serde_json parses `text` into a `Value`.
fn serde_accepts(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

#[test]
fn agrees_with_serde_json_on_hand_picked_cases() {
    let cases = [
        "0",
        "-0",
        "01",
        "-",
        "1.",
        ".5",
        "1.5e",
        "1e+",
        "1E-2",
        "1e400",
        "-1e400",
        "1e-400",
        "123456789012345678901234567890",
        "18446744073709551616",
        "-9223372036854775809",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "0.0000001e-330",
        "\"\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}x\"",
        "\"12345678\\n12345678\u{1f}\"",
        "true",
        "tru",
        "truex",
        "nul",
        "null null",
        " null ",
        "\"a\"",
        "\"",
        "\"\\\"",
        "\"\\u0041\"",
        "\"\\u00g1\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83d\\u0041\"",
        "\"\\ud83dx\"",
        "\"\\x\"",
        "\"tab\there\"",
        "\"\u{7f}\"",
        "\"é€😀\"",
        "[]",
        "[ ]",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{}",
        "{\"a\":1}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{a:1}",
        "{\"a\":1,}",
        "{\"a\":1 \"b\":2}",
        "[{\"a\":[{}]}]",
        "[}",
        "{]",
        "",
        "   ",
        "[1]x",
        "\u{feff}1",
        "[\"abcdefgh\\\"ijklmnop\"]",
        "\"0123456789abcdef0123456789abcdef\"",
        "\"0123456\u{1}89abcdef\"",
    ];
    let long = [
        "1".repeat(310),
        "1".repeat(300) + ".5",
        "9".repeat(309),
        "-".to_string() + &"9".repeat(400),
    ];
    for text in cases.iter().copied().chain(long.iter().map(String::as_str)) {
        assert_eq!(
            check(text).is_ok(),
            serde_accepts(text),
            "{text:?}: ours {:?}",
            check(text)
        );
    }
}

#[test]
fn nesting_stops_where_serde_json_stops() {
    for depth in [127, 128, 129, 300] {
        for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
            let text = open.repeat(depth) + "1" + &close.repeat(depth);
            assert_eq!(
                check(&text).is_ok(),
                serde_accepts(&text),
                "{open} x {depth}"
            );
        }
    }
}

#[test]
fn errors_say_where() {
    let e = check("{\"a\": [1,\n  2,, 3]}").unwrap_err();
    assert_eq!((e.line, e.column), (2, 5));
    assert_eq!(e.problem, "expected value");
    assert!(e.to_string().ends_with("at line 2 column 5"));
}

/// Strings with a quote, backslash, control character or multi-byte
/// character at every offset across the 16- and 8-byte steps of the
/// string skip, and cut short at every length.
#[test]
fn agrees_with_serde_json_at_every_offset_of_a_string() {
    let specials = [
        "\"",
        "\\",
        "\\n",
        "\\u0041",
        "\\ud83d\\ude00",
        "\\x",
        "\u{1}",
        "\u{1f}",
        "\u{7f}",
        "é",
        "€",
        " ",
    ];
    for len in 0..40 {
        for at in 0..=len {
            for special in specials {
                let body = "a".repeat(at) + special + &"b".repeat(len - at);
                for text in [
                    format!("\"{body}\""),
                    format!("[\"{body}\",1]"),
                    format!("{{\"{body}\":0}}"),
                    format!("\"{body}"),
                ] {
                    assert_eq!(
                        check(&text).is_ok(),
                        serde_accepts(&text),
                        "{text:?}: ours {:?}",
                        check(&text)
                    );
                }
            }
        }
    }
}

/// Random documents built from the grammar (nesting, numbers of every
/// form, strings with escapes), checked whole and cut at random places.
#[test]
fn agrees_with_serde_json_on_generated_documents() {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    fn value(next: &mut impl FnMut() -> u64, depth: usize, out: &mut String) {
        let pick = next() % if depth > 6 { 4 } else { 6 };
        match pick {
            0 => out.push_str(
                [
                    "true",
                    "false",
                    "null",
                    "-0",
                    "1e400",
                    "0.5E-3",
                    "12345678901234567890",
                ][next() as usize % 7],
            ),
            1 => out.push_str(&format!("{}", (next() % 100_000) as f64 / 7.0)),
            2 | 3 => {
                out.push('"');
                for _ in 0..next() % 30 {
                    out.push_str(
                        [
                            "a",
                            "xyz0123456789",
                            "\\\"",
                            "\\n",
                            "\\u00e9",
                            "\\ud83d\\ude00",
                            "é",
                            "😀",
                            "\\/",
                        ][next() as usize % 9],
                    );
                }
                out.push('"');
            }
            4 => {
                out.push('[');
                for i in 0..next() % 5 {
                    if i > 0 {
                        out.push_str(if next().is_multiple_of(2) { "," } else { " , " });
                    }
                    value(next, depth + 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..next() % 5 {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("\"k{i}\":"));
                    value(next, depth + 1, out);
                }
                out.push('}');
            }
        }
    }
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..3_000 {
        let mut text = String::new();
        value(&mut next, 0, &mut text);
        let cut = text
            .char_indices()
            .nth(next() as usize % (text.chars().count() + 1))
            .map_or(text.len(), |(i, _)| i);
        for candidate in [text.as_str(), &text[..cut]] {
            assert_eq!(
                check(candidate).is_ok(),
                serde_accepts(candidate),
                "{candidate:?}: ours {:?}",
                check(candidate)
            );
            if check(candidate).is_ok() {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
    }
    // Both sides of the grammar were exercised.
    assert!(
        accepted > 500 && refused > 500,
        "{accepted} accepted, {refused} refused"
    );
}

/// Random edits of valid documents: whatever serde_json makes of the
/// result, so must we. Bounded: a fixed seed and count.
#[test]
fn agrees_with_serde_json_on_mutated_documents() {
    let seeds = [
        r#"{"id":"order-1","items":[{"sku":"A\u00e9\"x","qty":2,"price":1.5e2}],"tags":["a","b"],"ok":true,"n":null}"#,
        r#"[0,-1,2.5,-0.0,1e10,"\ud83d\ude00",{"":{}},[[[]]],"\\\/\b\f\n\r\t"]"#,
    ];
    let alphabet: &[u8] = b"{}[]\",:\\/-+.eE0123456789 \ntrufalsnu\x01\x7f";
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut disagreements = Vec::new();
    for round in 0..20_000 {
        let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
        for _ in 0..1 + next() % 3 {
            let at = (next() as usize) % (bytes.len() + 1);
            let c = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 if at < bytes.len() => bytes[at] = c,
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, c),
            }
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if check(&text).is_ok() != serde_accepts(&text) {
            disagreements.push(text);
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:?}");
}
