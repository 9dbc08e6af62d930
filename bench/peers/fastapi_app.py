"""The FastAPI + uvicorn peer of the serving benchmark: the same v2 infer
endpoint as `ferry serve`, around Debian's python3-xgboost (one thread).

  FERRY_BENCH_MODEL=model.json /usr/bin/python3 -m uvicorn fastapi_app:app \
      --app-dir bench/peers --host 127.0.0.1 --port 8000 --no-access-log
"""
import json
import os

import numpy as np
import xgboost as xgb
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

booster = xgb.Booster(model_file=os.environ["FERRY_BENCH_MODEL"])
booster.set_param({"nthread": 1})
app = FastAPI()


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    body = await request.json()
    features = [i for i in body.get("inputs", []) if i.get("name") == "features"]
    if len(features) != 1:
        return JSONResponse({"error": "missing input 'features'"}, status_code=400)
    x = np.asarray(features[0]["data"], dtype=np.float32).reshape(features[0]["shape"])
    p = booster.inplace_predict(x, validate_features=False)
    out = {"model_name": name, "model_version": "1"}
    if "id" in body:
        out["id"] = body["id"]
    out["outputs"] = [{"name": "probability", "datatype": "FP32", "shape": [len(p)],
                       "data": [float(v) for v in p]}]
    return Response(json.dumps(out, separators=(",", ":")), media_type="application/json")
