"""Malformed requests get AWS-shaped 4xx errors and never hurt the server."""

import socket

import requests

from test_errors import post, xml_error


def test_invalid_utf8(server):
    r = post(server, b"Action=GetRole&Version=2010-05-08&RoleName=%FF%FE")
    assert 400 <= r.status_code < 500
    xml_error(r)


def test_bad_percent_encoding_and_garbage(server):
    for body in [b"%%%%", b"Action=GetRole&RoleName=%zz", b"\x00\x01\x02", b"&&&===&&&", b"Action"]:
        r = post(server, body)
        assert 400 <= r.status_code < 500, body
        xml_error(r)


def test_unknown_parameter(server):
    r = post(server, "Action=GetCallerIdentity&Version=2011-06-15&Frobnicate=1")
    assert r.status_code == 400
    assert xml_error(r)[0] == "Sender"


def test_absurd_list_index(server):
    r = post(server, "Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.999999999999.Key=k&Tags.member.999999999999.Value=v")
    assert 400 <= r.status_code < 500
    xml_error(r)


def test_oversized_body(server):
    r = post(server, b"Action=GetRole&RoleName=" + b"a" * (2 * 1024 * 1024))
    assert r.status_code == 413
    assert xml_error(r)[1] == "RequestEntityTooLarge"


def test_wrong_method(server):
    r = requests.put(server.endpoint + "/", data="Action=GetRole", timeout=10)
    assert r.status_code == 405
    xml_error(r)


def test_get_with_query_string_works(server):
    server.reset()
    r = requests.get(server.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15", timeout=10)
    assert r.status_code == 200
    assert b"<GetCallerIdentityResponse" in r.content and b"arn:aws:iam::123456789012:root" in r.content


def test_garbage_on_the_socket_then_server_still_answers(server):
    host, port = server.endpoint.removeprefix("http://").split(":")
    for junk in [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET / HTTP/9.9\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"]:
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(junk)
            try:
                s.recv(1024)
            except OSError:
                pass
    r = post(server, "Action=GetCallerIdentity&Version=2011-06-15")
    assert r.status_code == 200
