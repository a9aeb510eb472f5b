//! An error as one line with its causes ("error sending request: connection refused"): HTTP
//! client errors say what failed at the top and why only in their sources.

/// `error`'s text followed by each of its sources, `": "`-separated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
