//! Every function example that Microsoft's "Reference guide to workflow expression functions"
//! documents (MicrosoftDocs/azure-docs, `articles/logic-apps/workflow-definition-language-functions-reference.md`),
//! evaluated here with the documented result. Where the guide's printed result is a typo, the
//! test says so and checks what the function really returns.

use chrono::{TimeZone, Utc};
use connector_workflows::expr::{StaticScope, evaluate, function_names};
use serde_json::{Value, json};

fn scope() -> StaticScope {
    StaticScope::new()
        .with_parameter("fullName", json!("Sophia Owen"))
        .with_variable("numItems", json!(20))
}

/// Evaluates `@<expr>` in the default scope.
fn ev(expr: &str) -> Value {
    ev_in(&scope(), expr)
}

fn ev_in(scope: &StaticScope, expr: &str) -> Value {
    evaluate(&format!("@{expr}"), scope).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn check(cases: &[(&str, Value)]) {
    for (expr, want) in cases {
        assert_eq!(&ev(expr), want, "{expr}");
    }
}

/// Numbers compared by value: the guide prints `3` for the float `mul(1.5, 2)`.
fn check_num(expr: &str, want: f64) {
    let got = ev(expr);
    assert_eq!(got.as_f64(), Some(want), "{expr} gave {got}");
}

#[test]
fn string_functions() {
    check(&[
        ("toLower('Hello')", json!("hello")),
        ("concat('Sophia', 'Owen')", json!("SophiaOwen")),
        ("concat('Hello', 'World')", json!("HelloWorld")),
        ("endsWith('hello world', 'world')", json!(true)),
        ("endsWith('hello world', 'universe')", json!(false)),
        ("indexOf('hello world', 'world')", json!(6)),
        ("lastIndexOf('hello world hello world', 'world')", json!(18)),
        ("lastIndexOf('hello world hello world', '')", json!(22)),
        (
            "replace('the old string', 'old', 'new')",
            json!("the new string"),
        ),
        ("split('a_b_c', '_')", json!(["a", "b", "c"])),
        ("split('a_b_c', ' ')", json!(["a_b_c"])),
        ("startsWith('hello world', 'hello')", json!(true)),
        ("startsWith('hello world', 'greetings')", json!(false)),
        ("substring('hello world', 6, 5)", json!("world")),
        ("toLower('Hello World')", json!("hello world")),
        ("toUpper('Hello World')", json!("HELLO WORLD")),
        ("trim(' Hello World  ')", json!("Hello World")),
    ]);
}

#[test]
fn string_functions_beyond_the_examples() {
    check(&[
        // The guide: indexOf, startsWith and endsWith are not case-sensitive.
        ("indexOf('Hello World', 'WORLD')", json!(6)),
        ("startsWith('Hello', 'hE')", json!(true)),
        ("lastIndexOf('', 'x')", json!(-1)),
        ("lastIndexOf('', '')", json!(0)),
        ("substring('hello world', 6)", json!("world")),
        ("slice('Hello World', 2, 5)", json!("llo")),
        ("slice('Hello World', -5)", json!("World")),
        ("nthIndexOf('123456789123465789', '1', 2)", json!(9)),
        ("nthIndexOf('123456789123465789', '1', -1)", json!(9)),
        ("concat('n=', 5, ' ok=', true)", json!("n=5 ok=True")),
        ("substring('héllo', 1, 3)", json!("éll")),
    ]);
    // The guide: startIndex + length past the end is an error, unlike other languages.
    let err = evaluate("@substring('hello world', 6, 6)", &scope()).unwrap_err();
    assert!(
        err.to_string().contains("`substring`") && err.offset() == 1,
        "{err}"
    );
}

#[test]
fn guid_formats() {
    let d = ev("guid()");
    let d = d.as_str().unwrap();
    assert_eq!(d.len(), 36);
    assert_eq!(d.matches('-').count(), 4);
    assert_ne!(ev("guid()"), ev("guid()"));
    let p = ev("guid('P')");
    let p = p.as_str().unwrap();
    assert!(
        p.starts_with('(') && p.ends_with(')') && p.len() == 38,
        "{p}"
    );
    assert_eq!(ev("guid('N')").as_str().unwrap().len(), 32);
    assert!(ev("guid('B')").as_str().unwrap().starts_with('{'));
    assert!(ev("guid('X')").as_str().unwrap().starts_with("{0x"));
}

#[test]
fn collection_functions() {
    check(&[
        ("contains('hello world', 'world')", json!(true)),
        ("contains('hello world', 'universe')", json!(false)),
        ("empty('')", json!(true)),
        ("empty('abc')", json!(false)),
        ("first('hello')", json!("h")),
        ("first(createArray(0, 1, 2))", json!(0)),
        (
            "intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))",
            json!([1, 2]),
        ),
        ("join(createArray('a', 'b', 'c'), '.')", json!("a.b.c")),
        ("last('abcd')", json!("d")),
        ("last(createArray(0, 1, 2, 3))", json!(3)),
        ("length('abcd')", json!(4)),
        ("length(createArray(0, 1, 2, 3))", json!(4)),
        ("skip(createArray(0, 1, 2, 3), 1)", json!([1, 2, 3])),
        ("take('abcde', 3)", json!("abc")),
        ("take(createArray(0, 1, 2, 3, 4), 3)", json!([0, 1, 2])),
        (
            "union(createArray(1, 2, 3), createArray(1, 2, 10, 101))",
            json!([1, 2, 3, 10, 101]),
        ),
        // The WDL overview: arrays need no quoting.
        ("length([1, 2, 3])", json!(3)),
        // Beyond the examples: dictionaries and the newer functions.
        ("contains(json('{\"a\": 1}'), 'a')", json!(true)),
        ("contains(createArray(1, 'x'), 'x')", json!(true)),
        ("empty(null)", json!(true)),
        (
            "union(json('{\"a\": 1, \"b\": 1}'), json('{\"b\": 2}'))",
            json!({"a": 1, "b": 2}),
        ),
        ("reverse(createArray(0, 1, 2, 3))", json!([3, 2, 1, 0])),
        (
            "chunk('abcdefghijklmnopqrstuvwxyz', 10)",
            json!(["abcdefghij", "klmnopqrst", "uvwxyz"]),
        ),
        (
            "chunk(createArray(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 5)",
            json!([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]),
        ),
        ("sort(createArray(2, 1, 0, 3))", json!([0, 1, 2, 3])),
        (
            "sort(json('[{\"last\": \"Ng\"}, {\"last\": \"Ames\"}]'), 'last')",
            json!([{"last": "Ames"}, {"last": "Ng"}]),
        ),
    ]);
}

#[test]
fn logical_functions() {
    check(&[
        ("and(true, true)", json!(true)),
        ("and(false, true)", json!(false)),
        ("and(false, false)", json!(false)),
        ("and(equals(1, 1), equals(2, 2))", json!(true)),
        ("and(equals(1, 1), equals(1, 2))", json!(false)),
        ("and(equals(1, 2), equals(1, 3))", json!(false)),
        ("equals(true, 1)", json!(true)),
        ("equals('abc', 'abcd')", json!(false)),
        ("greater(10, 5)", json!(true)),
        ("greater('apple', 'banana')", json!(false)),
        ("greaterOrEquals(5, 5)", json!(true)),
        ("greaterOrEquals('apple', 'banana')", json!(false)),
        ("if(equals(1, 1), 'yes', 'no')", json!("yes")),
        ("less(5, 10)", json!(true)),
        ("less('banana', 'apple')", json!(false)),
        ("lessOrEquals(10, 10)", json!(true)),
        ("lessOrEquals('apply', 'apple')", json!(false)),
        ("not(false)", json!(true)),
        ("not(true)", json!(false)),
        ("not(equals(1, 2))", json!(true)),
        ("not(equals(1, 1))", json!(false)),
        ("or(true, false)", json!(true)),
        ("or(false, false)", json!(false)),
        ("or(equals(1, 1), equals(1, 2))", json!(true)),
        ("or(equals(1, 2), equals(1, 3))", json!(false)),
        // The guide: logical functions read null as the empty string.
        ("equals(null, '')", json!(true)),
        ("equals(1, 1.0)", json!(true)),
        (
            "equals(json('{\"a\": [1, 2]}'), json('{\"a\": [1, 2.0]}'))",
            json!(true),
        ),
        ("greater(2.5, 2)", json!(true)),
    ]);
    let err = evaluate("@greater('a', 1)", &scope()).unwrap_err();
    assert!(err.to_string().contains("cannot compare"), "{err}");
}

#[test]
fn conversion_functions() {
    check(&[
        ("array('hello')", json!(["hello"])),
        ("base64('hello')", json!("aGVsbG8=")),
        ("base64ToString('aGVsbG8=')", json!("hello")),
        ("decodeBase64('aGVsbG8=')", json!("hello")),
        ("bool(1)", json!(true)),
        ("bool(0)", json!(false)),
        ("bool(-1)", json!(true)),
        ("bool('true')", json!(true)),
        ("bool('false')", json!(false)),
        (
            "createArray('h', 'e', 'l', 'l', 'o')",
            json!(["h", "e", "l", "l", "o"]),
        ),
        (
            "dataUri('hello')",
            json!("data:text/plain;charset=utf-8;base64,aGVsbG8="),
        ),
        (
            "dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')",
            json!("hello"),
        ),
        (
            "decodeUriComponent('https%3A%2F%2Fcontoso.com')",
            json!("https://contoso.com"),
        ),
        (
            "encodeUriComponent('https://contoso.com')",
            json!("https%3A%2F%2Fcontoso.com"),
        ),
        ("float('10.333')", json!(10.333)),
        ("int('10')", json!(10)),
        ("json('[1, 2, 3]')", json!([1, 2, 3])),
        (
            "json('{\"fullName\": \"Sophia Owen\"}')",
            json!({"fullName": "Sophia Owen"}),
        ),
        ("string(10)", json!("10")),
        // The guide writes an object literal; the same object made with json() gives its JSON text.
        (
            "string(json('{ \"name\": \"Sophie Owen\" }'))",
            json!("{\"name\":\"Sophie Owen\"}"),
        ),
        (
            "uriComponent('https://contoso.com')",
            json!("https%3A%2F%2Fcontoso.com"),
        ),
        (
            "uriComponentToString('https%3A%2F%2Fcontoso.com')",
            json!("https://contoso.com"),
        ),
        // Binary values are content envelopes, which the text functions read back.
        (
            "base64ToBinary('aGVsbG8=')",
            json!({"$content-type": "application/octet-stream", "$content": "aGVsbG8="}),
        ),
        ("base64(binary('hello'))", json!("aGVsbG8=")),
        (
            "dataUriToBinary('data:text/plain;charset=utf-8;base64,aGVsbG8=')",
            json!({"$content-type": "text/plain;charset=utf-8", "$content": "aGVsbG8="}),
        ),
        ("dataUriToString('data:,a%20b')", json!("a b")),
        ("isInt('10')", json!(true)),
        ("isInt('10.5')", json!(false)),
        ("isFloat('10.5')", json!(true)),
        ("string(null)", json!("")),
        ("string(2.0)", json!("2")),
        ("int(2.0)", json!(2)),
    ]);
    for bad in [
        "int('ten')",
        "bool('yes')",
        "base64ToString('%%%')",
        "json('{')",
    ] {
        assert!(
            evaluate(&format!("@{bad}"), &scope()).is_err(),
            "{bad} should fail"
        );
    }
}

#[test]
fn math_functions() {
    check(&[
        ("add(1, 1.5)", json!(2.5)),
        ("div(10, 5)", json!(2)),
        ("div(11, 5)", json!(2)),
        ("div(11, 5.0)", json!(2.2)),
        ("div(11.0, 5)", json!(2.2)),
        ("max(1, 2, 3)", json!(3)),
        ("max(createArray(1, 2, 3))", json!(3)),
        ("min(1, 2, 3)", json!(1)),
        ("min(createArray(1, 2, 3))", json!(1)),
        ("mod(3, 2)", json!(1)),
        ("mul(1, 2)", json!(2)),
        ("range(1, 4)", json!([1, 2, 3, 4])),
        ("mod(-7, 3)", json!(-1)),
        ("sub(5, 7)", json!(-2)),
    ]);
    check_num("mul(1.5, 2)", 3.0);
    check_num("sub(10.3, .3)", 10.0);
    for _ in 0..200 {
        let r = ev("rand(1, 5)").as_i64().unwrap();
        assert!((1..5).contains(&r), "rand(1, 5) gave {r}");
    }
    for bad in [
        "div(1, 0)",
        "mod(1, 0)",
        "add(9223372036854775807, 1)",
        "range(0, 100001)",
        "rand(5, 5)",
    ] {
        assert!(
            evaluate(&format!("@{bad}"), &scope()).is_err(),
            "{bad} should fail"
        );
    }
}

#[test]
fn date_time_functions() {
    check(&[
        (
            "addDays('2018-03-15T00:00:00Z', 10)",
            json!("2018-03-25T00:00:00.0000000Z"),
        ),
        (
            "addDays('2018-03-15T00:00:00Z', -5)",
            json!("2018-03-10T00:00:00.0000000Z"),
        ),
        (
            "addHours('2018-03-15T00:00:00Z', 10)",
            json!("2018-03-15T10:00:00.0000000Z"),
        ),
        (
            "addHours('2018-03-15T15:00:00Z', -5)",
            json!("2018-03-15T10:00:00.0000000Z"),
        ),
        (
            "addMinutes('2018-03-15T00:10:00Z', 10)",
            json!("2018-03-15T00:20:00.0000000Z"),
        ),
        (
            "addMinutes('2018-03-15T00:20:00Z', -5)",
            json!("2018-03-15T00:15:00.0000000Z"),
        ),
        (
            "addSeconds('2018-03-15T00:00:00Z', 10)",
            json!("2018-03-15T00:00:10.0000000Z"),
        ),
        (
            "addSeconds('2018-03-15T00:00:30Z', -5)",
            json!("2018-03-15T00:00:25.0000000Z"),
        ),
        (
            "addToTime('2018-01-01T00:00:00Z', 1, 'Day')",
            json!("2018-01-02T00:00:00.0000000Z"),
        ),
        (
            "addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')",
            json!("Tuesday, January 2, 2018"),
        ),
        ("dayOfMonth('2018-03-15T13:27:36Z')", json!(15)),
        ("dayOfWeek('2018-03-15T13:27:36Z')", json!(4)),
        ("dayOfYear('2018-03-15T13:27:36Z')", json!(74)),
        (
            "formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')",
            json!("2018-03-15T12:00:00"),
        ),
        (
            "startOfDay('2018-03-15T13:30:30Z')",
            json!("2018-03-15T00:00:00.0000000Z"),
        ),
        (
            "startOfHour('2018-03-15T13:30:30Z')",
            json!("2018-03-15T13:00:00.0000000Z"),
        ),
        (
            "startOfMonth('2018-03-15T13:30:30Z')",
            json!("2018-03-01T00:00:00.0000000Z"),
        ),
        (
            "startOfMonth('2018-03-15T13:30:30Z', 'yyyy-MM-dd')",
            json!("2018-03-01"),
        ),
        (
            "subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')",
            json!("2018-01-01T00:00:00.0000000Z"),
        ),
        // The guide prints "Monday, January, 1, 2018"; the "D" format has no comma after the month.
        (
            "subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day', 'D')",
            json!("Monday, January 1, 2018"),
        ),
        // Beyond the examples.
        ("ticks('0001-01-01T00:00:00Z')", json!(0)),
        (
            "ticks('2018-01-01T00:00:00Z')",
            json!(636503616000000000_i64),
        ),
        (
            "addToTime('2018-01-31T00:00:00Z', 1, 'Month')",
            json!("2018-02-28T00:00:00.0000000Z"),
        ),
        (
            "addToTime('2018-01-01T00:00:00Z', -1, 'Year')",
            json!("2017-01-01T00:00:00.0000000Z"),
        ),
        (
            "addDays('2018-03-15T00:00:00+02:00', 1)",
            json!("2018-03-15T22:00:00.0000000Z"),
        ),
        (
            "formatDateTime('2018-03-15T13:05:09.25Z', 'dddd d MMM yyyy, h:mm:ss.ff tt')",
            json!("Thursday 15 Mar 2018, 1:05:09.25 PM"),
        ),
        (
            "formatDateTime('2018-03-15T13:05:09Z', 'u')",
            json!("2018-03-15 13:05:09Z"),
        ),
        (
            "parseDateTime('2018-03-15 13:05')",
            json!("2018-03-15T13:05:00.0000000"),
        ),
        (
            "dateDifference('2015-02-08', '2018-07-30')",
            json!("1268.00:00:00"),
        ),
        (
            "dateDifference('2019-01-01T00:00:00.0000000', '2019-01-01T16:20:00.0000000')",
            json!("16:20:00"),
        ),
    ]);
    let err = evaluate("@addDays('not a time', 1)", &scope()).unwrap_err();
    assert!(
        err.to_string().contains("`addDays`") && err.to_string().contains("not a timestamp"),
        "{err}"
    );
    assert!(
        evaluate(
            "@addToTime('2018-01-01T00:00:00Z', 1, 'Fortnight')",
            &scope()
        )
        .is_err()
    );
}

#[test]
fn clock_functions_read_the_scopes_clock() {
    let at = |y, m, d, h| scope().with_now(Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap());
    let april = at(2018, 4, 15, 13);
    assert_eq!(
        ev_in(&april, "utcNow()"),
        json!("2018-04-15T13:00:00.0000000Z")
    );
    assert_eq!(
        ev_in(&april, "utcNow('D')"),
        json!("Sunday, April 15, 2018")
    );
    let march = at(2018, 3, 1, 0);
    assert_eq!(
        ev_in(&march, "getFutureTime(5, 'Day')"),
        json!("2018-03-06T00:00:00.0000000Z")
    );
    assert_eq!(
        ev_in(&march, "getFutureTime(5, 'Day', 'D')"),
        json!("Tuesday, March 6, 2018")
    );
    let feb = at(2018, 2, 1, 0);
    assert_eq!(
        ev_in(&feb, "getPastTime(5, 'Day')"),
        json!("2018-01-27T00:00:00.0000000Z")
    );
    assert_eq!(
        ev_in(&feb, "getPastTime(5, 'Day', 'D')"),
        json!("Saturday, January 27, 2018")
    );
}

#[test]
fn manipulation_functions() {
    check(&[
        ("coalesce(null, true, false)", json!(true)),
        ("coalesce(null, 'hello', 'world')", json!("hello")),
        ("coalesce(null, null, null)", Value::Null),
        (
            "addProperty(json('{ \"firstName\": \"Sophia\", \"lastName\": \"Owen\" }'), 'middleName', 'Anne')",
            json!({"firstName": "Sophia", "lastName": "Owen", "middleName": "Anne"}),
        ),
        (
            "setProperty(json('{ \"customerName\": { \"firstName\": \"Sophia\", \"surName\": \"Owen\" } }'), 'customerName', addProperty(json('{ \"customerName\": { \"firstName\": \"Sophia\", \"surName\": \"Owen\" } }')['customerName'], 'middleName', 'Anne'))",
            json!({"customerName": {"firstName": "Sophia", "middleName": "Anne", "surName": "Owen"}}),
        ),
        (
            "removeProperty(json('{ \"firstName\": \"Sophia\", \"middleName\": \"Anne\", \"surName\": \"Owen\" }'), 'middleName')",
            json!({"firstName": "Sophia", "surName": "Owen"}),
        ),
        (
            "removeProperty(json('{ \"customerName\": { \"firstName\": \"Sophia\", \"middleName\": \"Anne\", \"surName\": \"Owen\" } }')['customerName'], 'middleName')",
            json!({"firstName": "Sophia", "surName": "Owen"}),
        ),
        (
            "setProperty(json('{ \"firstName\": \"Sophia\", \"surName\": \"Owen\" }'), 'surName', 'Hartnett')",
            json!({"firstName": "Sophia", "surName": "Hartnett"}),
        ),
        (
            "setProperty(json('{ \"customerName\": { \"firstName\": \"Sophia\", \"surName\": \"Owen\" } }'), 'customerName', setProperty(json('{ \"customerName\": { \"firstName\": \"Sophia\", \"surName\": \"Owen\" } }')['customerName'], 'surName', 'Hartnett'))",
            json!({"customerName": {"firstName": "Sophia", "surName": "Hartnett"}}),
        ),
    ]);
    // The guide: addProperty fails when the property exists.
    let err = evaluate("@addProperty(json('{\"a\": 1}'), 'a', 2)", &scope()).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[test]
fn uri_functions() {
    check(&[
        (
            "uriHost('https://www.localhost.com:8080')",
            json!("www.localhost.com"),
        ),
        (
            "uriPath('https://www.contoso.com/catalog/shownew.htm?date=today')",
            json!("/catalog/shownew.htm"),
        ),
        (
            "uriPathAndQuery('https://www.contoso.com/catalog/shownew.htm?date=today')",
            json!("/catalog/shownew.htm?date=today"),
        ),
        ("uriPort('https://www.localhost:8080')", json!(8080)),
        (
            "uriQuery('https://www.contoso.com/catalog/shownew.htm?date=today')",
            json!("?date=today"),
        ),
        // The guide prints "http" for this https URI; the scheme is https.
        (
            "uriScheme('https://www.contoso.com/catalog/shownew.htm?date=today')",
            json!("https"),
        ),
        ("uriPort('https://www.contoso.com/')", json!(443)),
        ("uriPath('https://www.contoso.com')", json!("/")),
    ]);
}

#[test]
fn workflow_functions() {
    let get_user =
        json!({"FullName": "Contoso Corporation", "Id": 283541717, "UserName": "ContosoInc"});
    let s = scope()
        .with_action("Get_user", json!({
            "name": "Get_user", "status": "Succeeded",
            "outputs": {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": get_user.clone()}
        }))
        .with_trigger(json!({"123": 7, "name": "t"}), json!({"x-h": "1"}))
        .with_loop("myForEachLoopName", json!({"body": "mail body"}), 0)
        .with_loop("Until_Max_Increment", json!(null), 3)
        .with_result("For_each", json!([{"name": "HTTP", "status": "Succeeded"}]))
        .with_workflow(json!({"name": "wf", "run": {"name": "08585"}, "tags": {}}));
    let cases = [
        ("body('Get_user')", get_user.clone()),
        ("actionBody('Get_user')", get_user.clone()),
        ("outputs('Get_user')['statusCode']", json!(200)),
        (
            "actionOutputs('Get_user').body.UserName",
            json!("ContosoInc"),
        ),
        ("actions('Get_user').status", json!("Succeeded")),
        ("parameters('fullName')", json!("Sophia Owen")),
        ("variables('numItems')", json!(20)),
        ("items('myForEachLoopName')", json!({"body": "mail body"})),
        ("iterationIndexes('Until_Max_Increment')", json!(3)),
        ("workflow().run.name", json!("08585")),
        ("workflow()['name']", json!("wf")),
        ("result('For_each')[0]['status']", json!("Succeeded")),
        ("triggerBody()?['123']", json!(7)),
        ("triggerOutputs()['headers']['x-h']", json!("1")),
        ("trigger().outputs.body.name", json!("t")),
        // The WDL overview's null-safe default.
        (
            "coalesce(trigger().outputs?.body?.missing, 'default')",
            json!("default"),
        ),
    ];
    for (expr, want) in cases {
        assert_eq!(ev_in(&s, expr), want, "{expr}");
    }
    // item() is the innermost loop's item.
    assert_eq!(
        ev_in(
            &StaticScope::new().with_loop("L", json!({"body": "b"}), 0),
            "item().body"
        ),
        json!("b")
    );
    let err = evaluate("@body('Nope')", &s).unwrap_err();
    assert!(
        err.to_string().contains("the action `Nope` does not exist"),
        "{err}"
    );
    let err = evaluate("@item()", &StaticScope::new()).unwrap_err();
    assert!(err.to_string().contains("outside a loop"), "{err}");
}

#[test]
fn at_least_sixty_common_functions_exist() {
    let names = function_names();
    assert!(names.len() >= 100, "{} functions", names.len());
    let required = [
        "concat",
        "substring",
        "replace",
        "split",
        "toLower",
        "length",
        "contains",
        "empty",
        "first",
        "last",
        "join",
        "union",
        "take",
        "skip",
        "range",
        "equals",
        "and",
        "or",
        "not",
        "if",
        "greater",
        "less",
        "coalesce",
        "int",
        "float",
        "string",
        "bool",
        "json",
        "base64",
        "base64ToString",
        "encodeUriComponent",
        "guid",
        "add",
        "sub",
        "mul",
        "div",
        "mod",
        "min",
        "max",
        "utcNow",
        "addDays",
        "addHours",
        "addMinutes",
        "formatDateTime",
        "startOfDay",
        "ticks",
        "setProperty",
        "addProperty",
        "removeProperty",
        "triggerBody",
        "triggerOutputs",
        "body",
        "outputs",
        "actions",
        "item",
        "items",
        "variables",
        "parameters",
        "result",
        "workflow",
        "iterationIndexes",
        "trigger",
    ];
    for r in required {
        assert!(names.contains(&r), "missing {r}");
    }
    // Names resolve without regard to case, as in Logic Apps.
    assert_eq!(ev("TOLOWER('A')"), json!("a"));
}
