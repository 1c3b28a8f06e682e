//! Registering handlers by the paths `routes` names: one line a route (or a
//! page and the form it posts), whether the path has parameters or not.

use actix_web::{FromRequest, Handler, Responder, web};

use crate::routes::{Path, Route};

/// A path the router can match: a fixed path or a pattern with parameters.
pub trait Pattern {
    fn pattern(self) -> &'static str;
}

impl Pattern for Path {
    fn pattern(self) -> &'static str {
        self.as_str()
    }
}

impl Pattern for Route {
    fn pattern(self) -> &'static str {
        Route::pattern(self)
    }
}

/// `get` and `post` on the application's configuration.
pub trait Router {
    fn get<F, Args>(&mut self, path: impl Pattern, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static;

    fn post<F, Args>(&mut self, path: impl Pattern, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static;

    /// A page with a form that posts back to it: `show` answers GET, `save`
    /// answers POST, and the path is written once.
    fn form<P, F, A, G, B>(&mut self, path: P, show: F, save: G) -> &mut Self
    where
        P: Pattern + Copy,
        F: Handler<A>,
        A: FromRequest + 'static,
        F::Output: Responder + 'static,
        G: Handler<B>,
        B: FromRequest + 'static,
        G::Output: Responder + 'static,
    {
        self.get(path, show).post(path, save)
    }
}

impl Router for web::ServiceConfig {
    fn get<F, Args>(&mut self, path: impl Pattern, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(path.pattern(), web::get().to(handler))
    }

    fn post<F, Args>(&mut self, path: impl Pattern, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(path.pattern(), web::post().to(handler))
    }
}
