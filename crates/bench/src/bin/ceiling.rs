//! `ceiling`: the fastest an HTTP/1.1 server on hyper can answer on this machine.
//!
//! It reads each request's body (as a real server must) and answers with a fixed 657-byte XML
//! body shaped like a `GetCallerIdentity` response. Any IAM/STS server built on hyper does at
//! least this much work per request, so its throughput is the ceiling for one.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// The fixed response; its length is checked by a test (657 bytes, the size of ironiam's
/// GetCallerIdentity answer when the issue was written).
const BODY: &str = concat!(
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n",
    "  <GetCallerIdentityResult>\n",
    "    <Arn>arn:aws:iam::123456789012:root</Arn>\n",
    "    <UserId>123456789012</UserId>\n",
    "    <Account>123456789012</Account>\n",
    "  </GetCallerIdentityResult>\n",
    "  <ResponseMetadata>\n",
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n",
    "  </ResponseMetadata>\n",
    "</GetCallerIdentityResponse>\n",
    "<!-- ceiling: fixed body padded to the size of a typical IAM/STS query response; -->\n",
    "<!-- the padding keeps bytes on the wire comparable to the servers measured ----- -->\n",
    "<!-- against it. ----------------------------------------------------------------------------- -->\n",
);

#[derive(Parser)]
#[command(
    name = "ceiling",
    about = "Minimal hyper server answering every request with a fixed 657-byte body"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole request body, as a real server must before it can answer.
    let _ = req.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    Ok(response)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ceiling: cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!("ceiling listening on http://{addr}");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ceiling: accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn body_is_657_bytes() {
        assert_eq!(super::BODY.len(), 657);
    }
}
