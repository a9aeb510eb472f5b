//! What every form handler of the staff pages shares: reading the form (a bad body is a 400
//! page) and turning the handler's result into a response.

use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Response};

use super::failure::Failure;

/// The form's fields, or a 400 page naming what is wrong with the body.
pub fn form_of<T>(form: Result<Form<T>, FormRejection>) -> Result<T, Failure> {
    form.map(|Form(form)| form)
        .map_err(|rejection| Failure::bad_query(rejection.body_text()))
}

/// The page or redirect, or the failure's page.
pub fn respond(result: Result<Response, Failure>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}
