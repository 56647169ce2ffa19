//! What handlers return: an action's [`Reply`], a trigger's [`Item`]s and a
//! poll's [`Poll`].

use serde::Serialize;

/// An action's answer: an HTTP-like status and a body.
///
/// A handler that returns a plain body answers 200; one that needs another
/// status (201 for "created", 202 for "accepted") returns a `Reply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<T> {
    /// The status code, 100-599.
    pub status: u16,
    /// The body; it must be valid against the output schema.
    pub body: T,
}

impl<T> Reply<T> {
    /// 200 OK.
    pub fn ok(body: T) -> Self {
        Self::with_status(200, body)
    }

    /// 201 Created.
    pub fn created(body: T) -> Self {
        Self::with_status(201, body)
    }

    /// Any status.
    pub fn with_status(status: u16, body: T) -> Self {
        Self { status, body }
    }
}

/// What an action handler may return: a body (answered with 200) or a
/// [`Reply`] with its own status.
pub trait IntoReply {
    /// The body's type, whose schema is the output schema.
    type Body: Serialize;
    /// The status and the body.
    fn into_reply(self) -> Reply<Self::Body>;
}

impl<T: Serialize> IntoReply for T {
    type Body = T;
    fn into_reply(self) -> Reply<T> {
        Reply::ok(self)
    }
}

impl<T: Serialize> IntoReply for Reply<T> {
    type Body = T;
    fn into_reply(self) -> Reply<T> {
        self
    }
}

/// One thing a trigger found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<B> {
    /// A stable id: the same thing found again has the same id, so that the
    /// host can deliver it exactly once to a consumer that keeps ids.
    pub id: String,
    /// The body; it must be valid against the trigger's output schema.
    pub body: B,
}

impl<B> Item<B> {
    /// An item.
    pub fn new(id: impl Into<String>, body: B) -> Self {
        Self {
            id: id.into(),
            body,
        }
    }
}

/// What one poll found, and the state for the next poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll<B, S> {
    /// Items found, oldest first.
    pub items: Vec<Item<B>>,
    /// The state to pass to the next poll; `None` keeps the current one.
    /// The host commits it only once every item has been delivered.
    pub state: Option<S>,
    /// When to poll next, in milliseconds; `Some(0)` asks to be polled again
    /// at once because more items wait. `None` keeps the recurrence.
    pub poll_again_after_ms: Option<u64>,
}

impl<B, S> Poll<B, S> {
    /// A poll that found `items` and keeps the current state.
    pub fn new(items: Vec<Item<B>>) -> Self {
        Self {
            items,
            state: None,
            poll_again_after_ms: None,
        }
    }

    /// Sets the state for the next poll.
    pub fn state(mut self, state: S) -> Self {
        self.state = Some(state);
        self
    }

    /// Asks to be polled again at once: more items wait.
    pub fn poll_again_now(mut self) -> Self {
        self.poll_again_after_ms = Some(0);
        self
    }

    /// Asks to be polled again after `ms` milliseconds.
    pub fn poll_again_after_ms(mut self, ms: u64) -> Self {
        self.poll_again_after_ms = Some(ms);
        self
    }
}
