console.log("krunbox")
