#!/usr/bin/env python3
"""Checks that the official Python SDK works against a running emulator.

Usage: python_sdk_check.py URL

URL is what `examples/emulate_for_sdk.rs` prints on its first line, such
as http://127.0.0.1:40000. The credentials and functions are the ones that
example serves; `python_sdk_check.sh` starts it and runs this script.

The SDK is pointed at the emulator with HttpProfile(endpoint="HOST:PORT",
protocol="http"). It then sends `Host: HOST:PORT` and signs that same value
(it signs content-type and host only), so the emulator needs no leniency:
the port is part of the Host header a real client would send to such an
address.
"""

import json
import os
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.scf.v20180416 import models, scf_client

SECRET_ID = os.environ.get("EMULATOR_SECRET_ID", "AKIDEMULATOREXAMPLE0000000000000000")
SECRET_KEY = os.environ.get("EMULATOR_SECRET_KEY", "emulator-example-secret-key")
TEMP_SECRET_ID = os.environ.get("EMULATOR_TEMP_SECRET_ID", "AKIDEMULATORTEMPORARY000000000000")
TEMP_SECRET_KEY = os.environ.get("EMULATOR_TEMP_SECRET_KEY", "emulator-temporary-secret-key")
TOKEN = os.environ.get("EMULATOR_TOKEN", "emulator-session-token")


def make_client(endpoint, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=None,
                unsigned_payload=False):
    http = HttpProfile(endpoint=endpoint, protocol="http", reqTimeout=10)
    profile = ClientProfile(httpProfile=http)
    profile.unsignedPayload = unsigned_payload
    cred = credential.Credential(secret_id, secret_key, token)
    return scf_client.ScfClient(cred, "ap-guangzhou", profile)


def invoke(client, **fields):
    request = models.InvokeRequest()
    request.from_json_string(json.dumps(fields))
    return client.Invoke(request)


def invoke_function(client, **fields):
    request = models.InvokeFunctionRequest()
    request.from_json_string(json.dumps(fields))
    return client.InvokeFunction(request)


def expect_code(code, call):
    """Runs `call`, which must fail with the service error `code`."""
    try:
        call()
    except TencentCloudSDKException as e:
        if e.get_code() != code:
            raise AssertionError("expected %s, got %s: %s" % (code, e.get_code(), e.get_message()))
        return e
    raise AssertionError("expected %s, but the call succeeded" % code)


def tamper_body_after_signing(client):
    """Makes `client` change each request's body after it was signed, as
    a man in the middle would."""
    send = client.request.send_request

    def send_tampered(request):
        request.data = request.data.replace('"hello"', '"echo"')
        return send(request)

    client.request.send_request = send_tampered


def main():
    if len(sys.argv) != 2 or "://" not in sys.argv[1]:
        print("usage: python_sdk_check.py http://HOST:PORT", file=sys.stderr)
        return 2
    endpoint = sys.argv[1].split("://", 1)[1].rstrip("/")
    client = make_client(endpoint)
    event = {"greeting": "你好", "n": 42, "nested": {"list": [1, True, None]}}

    def invoke_echoes_the_event():
        response = invoke(client, FunctionName="echo", ClientContext=json.dumps(event),
                          LogType="Tail")
        assert json.loads(response.Result.RetMsg) == event, response.to_json_string()
        assert response.Result.InvokeResult == 0
        assert response.Result.Log.startswith("START RequestId: "), response.Result.Log
        assert response.RequestId and response.Result.FunctionRequestId
        return "RetMsg=%s RequestId=%s" % (response.Result.RetMsg, response.RequestId)

    def invoke_function_runs():
        response = invoke_function(client, FunctionName="hello", Event="{}")
        assert response.Result.RetMsg == '"hello from the emulator"', response.to_json_string()
        return "RetMsg=%s BillDuration=%s" % (response.Result.RetMsg, response.Result.BillDuration)

    def a_failing_function_reports_its_error():
        response = invoke(client, FunctionName="fails")
        assert response.Result.InvokeResult == 1, response.to_json_string()
        assert "this function always fails" in response.Result.ErrMsg
        return "InvokeResult=1 ErrMsg=%s" % response.Result.ErrMsg

    def an_event_invocation_returns_at_once():
        response = invoke(client, FunctionName="echo", InvocationType="Event",
                          ClientContext="{}")
        assert response.Result.RetMsg == "" and response.Result.FunctionRequestId
        return "FunctionRequestId=%s" % response.Result.FunctionRequestId

    def unsigned_payload_is_accepted():
        unsigned = make_client(endpoint, unsigned_payload=True)
        response = invoke_function(unsigned, FunctionName="echo", Event="[1,2]")
        assert response.Result.RetMsg == "[1,2]", response.to_json_string()
        return "RetMsg=%s" % response.Result.RetMsg

    def temporary_credentials_need_their_token():
        with_token = make_client(endpoint, TEMP_SECRET_ID, TEMP_SECRET_KEY, TOKEN)
        assert invoke(with_token, FunctionName="hello").Result.InvokeResult == 0
        without = make_client(endpoint, TEMP_SECRET_ID, TEMP_SECRET_KEY)
        e = expect_code("AuthFailure.TokenFailure", lambda: invoke(without, FunctionName="hello"))
        return e.get_code()

    def a_tampered_body_is_signature_failure():
        tampered = make_client(endpoint)
        tamper_body_after_signing(tampered)
        e = expect_code("AuthFailure.SignatureFailure",
                        lambda: invoke(tampered, FunctionName="hello"))
        return "%s (RequestId %s)" % (e.get_code(), e.get_request_id())

    def a_wrong_key_is_signature_failure():
        wrong = make_client(endpoint, SECRET_ID, "not-the-secret-key")
        return expect_code("AuthFailure.SignatureFailure",
                           lambda: invoke(wrong, FunctionName="hello")).get_code()

    def an_unknown_secret_id_is_not_found():
        stranger = make_client(endpoint, "AKIDNOBODYKNOWS", SECRET_KEY)
        return expect_code("AuthFailure.SecretIdNotFound",
                           lambda: invoke(stranger, FunctionName="hello")).get_code()

    def an_unknown_function_is_not_found():
        return expect_code("ResourceNotFound.FunctionName",
                           lambda: invoke(client, FunctionName="missing")).get_code()

    def an_event_that_is_not_json_is_refused():
        return expect_code("InvalidParameterValue.Param",
                           lambda: invoke_function(client, FunctionName="echo",
                                                   Event="not json")).get_code()

    checks = [
        invoke_echoes_the_event,
        invoke_function_runs,
        a_failing_function_reports_its_error,
        an_event_invocation_returns_at_once,
        unsigned_payload_is_accepted,
        temporary_credentials_need_their_token,
        a_tampered_body_is_signature_failure,
        a_wrong_key_is_signature_failure,
        an_unknown_secret_id_is_not_found,
        an_unknown_function_is_not_found,
        an_event_that_is_not_json_is_refused,
    ]
    passed = failed = 0
    for check in checks:
        try:
            detail = check()
            passed += 1
            print("ok     %s: %s" % (check.__name__, detail))
        except Exception as e:  # report every failing check, not just the first
            failed += 1
            print("FAILED %s: %s: %s" % (check.__name__, type(e).__name__, e))
    print("python sdk: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
