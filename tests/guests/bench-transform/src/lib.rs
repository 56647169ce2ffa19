//! The connector logic of figure 6 of `BENCHMARKS.md`: a JSON transform of
//! the kind a workflow step does between two services.
//!
//! The same source runs natively (`bench-transform-native`) and inside the
//! `test-bench` component (operation `transform`), both with `dlmalloc` as
//! the global allocator, so the ratio of their times is the cost of running
//! the logic as WebAssembly and nothing else.
//!
//! The transform parses a list of orders, keeps those whose total reaches
//! `min_total`, upper-cases the customer, joins the SKUs, counts orders per
//! status, sorts by total (largest first) and serialises the result.

use serde_json::{Map, Value, json};

/// Runs the transform on `input` (JSON text) and returns JSON text.
pub fn transform(input: &str) -> Result<String, String> {
    let input: Value =
        serde_json::from_str(input).map_err(|e| format!("input is not JSON: {e}"))?;
    let min_total = input
        .get("min_total")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let orders = input
        .get("orders")
        .and_then(Value::as_array)
        .ok_or("input has no \"orders\" array")?;
    let mut by_status = Map::new();
    let mut kept = Vec::with_capacity(orders.len());
    let mut grand_total = 0.0;
    for order in orders {
        let items = order.get("items").and_then(Value::as_array);
        let total: f64 = items
            .into_iter()
            .flatten()
            .map(|item| {
                let qty = item.get("qty").and_then(Value::as_f64).unwrap_or(0.0);
                let price = item.get("price").and_then(Value::as_f64).unwrap_or(0.0);
                qty * price
            })
            .sum();
        let status = order
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let count = by_status.entry(status.to_string()).or_insert(json!(0));
        *count = json!(count.as_u64().unwrap_or(0) + 1);
        if total < min_total {
            continue;
        }
        grand_total += total;
        let skus: Vec<&str> = items
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("sku").and_then(Value::as_str))
            .collect();
        kept.push(json!({
            "id": order.get("id").cloned().unwrap_or(Value::Null),
            "customer": order
                .get("customer")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_uppercase(),
            "total": (total * 100.0).round() / 100.0,
            "skus": skus.join(","),
            "tags": order.get("tags").cloned().unwrap_or(json!([])),
        }));
    }
    kept.sort_by(|a, b| {
        let (a, b) = (
            a["total"].as_f64().unwrap_or(0.0),
            b["total"].as_f64().unwrap_or(0.0),
        );
        b.total_cmp(&a)
    });
    let output = json!({
        "count": kept.len(),
        "total": (grand_total * 100.0).round() / 100.0,
        "by_status": by_status,
        "orders": kept,
    });
    Ok(output.to_string())
}

/// A deterministic input of `orders` orders (about 190 bytes each).
pub fn sample_input(orders: usize) -> String {
    const STATUSES: [&str; 4] = ["paid", "pending", "shipped", "refunded"];
    const NAMES: [&str; 5] = [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Edsger Dijkstra",
        "Barbara Liskov",
    ];
    let orders: Vec<Value> = (0..orders)
        .map(|i| {
            let items: Vec<Value> = (0..(1 + i % 4))
                .map(|j| json!({"sku": format!("SKU-{}", (i * 7 + j * 3) % 97), "qty": 1 + (i + j) % 5, "price": ((i * 13 + j * 29) % 5000) as f64 / 100.0}))
                .collect();
            json!({
                "id": format!("order-{i}"),
                "customer": NAMES[i % NAMES.len()],
                "status": STATUSES[i % STATUSES.len()],
                "tags": ["web", if i % 2 == 0 { "eu" } else { "us" }],
                "items": items,
            })
        })
        .collect();
    json!({"min_total": 20.0, "orders": orders}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_keeps_sorts_and_counts() {
        let out: Value = serde_json::from_str(&transform(&sample_input(40)).unwrap()).unwrap();
        let orders = out["orders"].as_array().unwrap();
        assert!(!orders.is_empty() && orders.len() < 40);
        assert!(
            orders
                .windows(2)
                .all(|w| w[0]["total"].as_f64() >= w[1]["total"].as_f64())
        );
        let counted: u64 = out["by_status"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(counted, 40);
        assert_eq!(
            orders[0]["customer"].as_str().unwrap(),
            orders[0]["customer"].as_str().unwrap().to_uppercase()
        );
    }
}
